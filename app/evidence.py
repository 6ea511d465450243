"""The one evidence resolver: curated text -> ``[start, end)`` code-point offsets into the verbatim article.

Matching folds typographic variants (curly quotes, dashes, no-break spaces) one character for one character,
so an offset into the folded text is the same offset into the verbatim text.
"""

import re
from bisect import bisect_left
from dataclasses import dataclass

_FOLD = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`", "'"),
        **dict.fromkeys("“”„‟″", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
        **dict.fromkeys("\u00a0\u2007\u2009\u202f\u200a", " "),
    }
)


def fold(text: str) -> str:
    """Typography-insensitive form of ``text``, of the same length."""
    return text.translate(_FOLD)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class Utf16:
    """Code-point offsets into ``text`` -> UTF-16 code-unit offsets, what JavaScript's ``String.slice`` takes.

    A character outside the Basic Multilingual Plane (an emoji, 𝐀) is one code point but two UTF-16 units, so
    each such character before an offset moves it one unit on; in a text without any, both offsets are equal.
    """

    def __init__(self, text: str) -> None:
        self.astral = [m.start() for m in _ASTRAL.finditer(text)] if not text.isascii() else []

    def __call__(self, offset: int) -> int:
        return offset + bisect_left(self.astral, offset) if self.astral else offset


class EvidenceError(ValueError):
    pass


class ArticleText:
    """An article's verbatim text with typography-insensitive lookup."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = fold(text)

    def span(self, start: int, end: int) -> Span:
        return Span(start, end, self.text[start:end])

    def find(self, text: str, prefix: str = "", suffix: str = "") -> Span:
        """The unique occurrence of ``prefix + text + suffix``, as the span of ``text`` alone."""
        if not text:
            raise EvidenceError("evidence text is empty")
        needle = fold(prefix + text + suffix)
        starts = [m.start() for m in re.finditer(f"(?={re.escape(needle)})", self.folded)]
        shown = _show(prefix, text, suffix)
        if not starts:
            raise EvidenceError(f"evidence text {shown} is not in the article")
        if len(starts) > 1:
            raise EvidenceError(f"evidence text {shown} occurs {len(starts)} times; add a prefix or suffix to pick one")
        start = starts[0] + len(prefix)
        return self.span(start, start + len(text))

    def find_words(self, phrase: str, lo: int, hi: int) -> list[tuple[int, int]]:
        """Every whole-word occurrence of ``phrase`` in ``[lo, hi)``, case-sensitive, typography-insensitive."""
        pattern = re.compile(rf"(?<!\w){re.escape(fold(phrase))}(?!\w)")
        return [(m.start(), m.end()) for m in pattern.finditer(self.folded, lo, hi)]


def _show(prefix: str, text: str, suffix: str) -> str:
    shown = repr(text)
    if prefix:
        shown += f" after {prefix!r}"
    if suffix:
        shown += f" before {suffix!r}"
    return shown
