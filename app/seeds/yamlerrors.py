"""A YAML syntax error in plain words, at the line where the mistake starts.

PyYAML reports where its parser gave up, often lines after the mistake and in parser terms ("while scanning a simple
key ... could not find expected ':'"). ``explain`` turns the usual curator mistakes (an unclosed quote, a tab, an
indentation that matches no block, a missing colon, an unclosed bracket) into a sentence that says what to fix and
points at the line that needs it.
"""

import re

import yaml

_KEY_LINE = re.compile(r"^\s*(?:- )?[\w-]+:(?:\s|$)")  # a line that reads as `key: value` (or a list item's key)
_CLOSERS = {"flow mapping": ("{", "}"), "flow sequence": ("[", "]")}
PREFIX = "malformed YAML: "


def explain(source: str, exc: yaml.YAMLError) -> tuple[int, str]:
    """The line (1-based) where the mistake behind ``exc`` starts, and what to do about it."""
    lines = source.splitlines()
    problem = str(getattr(exc, "problem", "") or exc)
    context = str(getattr(exc, "context", "") or "")
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    at = problem_mark.line if problem_mark else 0
    quote = _runaway_quote(source, lines, at)
    if quote is not None:
        start, end, mark = quote
        return start + 1, PREFIX + (
            f"the {mark} opened on this line is closed only on line {end + 1}, swallowing the lines between: "
            f"add the closing {mark} on this line"
        )
    if context.startswith("while scanning a quoted scalar") and context_mark:
        mark = lines[context_mark.line][context_mark.column] if context_mark.line < len(lines) else '"'
        return context_mark.line + 1, PREFIX + f"the {mark} opened on this line is never closed: add the closing {mark}"
    if "'\\t'" in problem:
        return at + 1, PREFIX + "a tab character: YAML indents with spaces only; replace the tab with spaces"
    if "could not find expected ':'" in problem and context_mark:
        text = lines[context_mark.line].strip() if context_mark.line < len(lines) else ""
        return context_mark.line + 1, PREFIX + (
            f"{text!r} has no ':' after its key: write `key: value` (or indent it further if it continues the value "
            "above)"
        )
    for name, (opener, closer) in _CLOSERS.items():
        if context.startswith(f"while parsing a {name}") and context_mark:
            return context_mark.line + 1, PREFIX + (
                f"the {opener!r} opened on this line is not closed: end it with {closer!r} on the same line"
            )
    if problem == "mapping values are not allowed here":
        if _indented_under_a_value(lines, at):
            return at + 1, PREFIX + (
                "this line is indented more than the key above it, which already has a value: indent it like the "
                "keys around it"
            )
        return at + 1, PREFIX + "a ': ' inside a value: put the whole value in quotes"
    if problem.startswith("expected <block end>") and context_mark:
        return at + 1, PREFIX + (
            f"this line's indentation matches no block above it (the block starts on line {context_mark.line + 1}): "
            "indent it exactly like the keys it belongs with"
        )
    return at + 1, PREFIX + problem


def _runaway_quote(source: str, lines: list[str], before: int) -> tuple[int, int, str] | None:
    """A quoted value that runs over lines reading as `key: value`: its quote was not closed where it opened."""
    try:
        for token in yaml.scan(source, Loader=yaml.SafeLoader):
            if token.start_mark.line > before:
                break
            if not isinstance(token, yaml.ScalarToken) or token.style not in ('"', "'"):
                continue
            start, end = token.start_mark.line, token.end_mark.line
            if end > start and any(_KEY_LINE.match(line) for line in lines[start + 1 : end + 1]):
                return start, end, token.style
    except yaml.YAMLError:
        pass  # the scan stops at the same mistake; only what came before it matters
    return None


def _indented_under_a_value(lines: list[str], at: int) -> bool:
    """Whether line ``at`` is indented deeper than the nearest line above it that is a `key: value` pair."""
    if at >= len(lines):
        return False
    indent = len(lines[at]) - len(lines[at].lstrip(" "))
    for line in reversed(lines[:at]):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        has_value = _KEY_LINE.match(line) is not None and line.split(":", 1)[1].strip() not in ("", "|", ">")
        return has_value and indent > len(line) - len(line.lstrip(" "))
    return False
