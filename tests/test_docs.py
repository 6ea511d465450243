"""The documentation test (after Datasette's): what the code has must be documented, and the documentation must
name nothing the code does not have.

The documentation is README.md and docs/*.md, read as text. Its markdown tables are found by the first cell of
their header row, and each thing must be in backticks in the right cell of the right row:

- a route: README.md, ``| Route |`` table, the first cell of a row;
- a parameter every list takes: README.md, ``| Parameter | Meaning |`` table, the first cell of a row;
- a list's other filters and its sort keys: README.md, ``| List | Filters | Sort keys |`` table, the row whose first
  cell is the list's name, in its Filters and Sort keys cells;
- a search parameter: README.md, ``| Search parameter | Meaning |`` table, the first cell of a row;
- a setting: docs/*.md, ``| Variable |`` table (docs/operations.md), its environment variable in the first cell;
- a command: docs/*.md, ``| Command |`` table (docs/operations.md), a row whose first cell starts
  ``article-facts NAME``; each of its ``--options`` and positional arguments (upper case: ``SEEDS``) in that cell.

Rules for names:

- A path's placeholders are compared as ``{id}`` (``/v1/quotes/{quote_id}`` is documented as
  ``/v1/quotes/{id}``). In the Route cell a backticked path may start with a method (``GET /v1``) and end with a
  query string (``/v1/search?q=``); both are ignored.
- A range: a backticked ``x__gt/gte/lt/lte`` stands for ``x__gt``, ``x__gte``, ``x__lt`` and ``x__lte`` (the
  first name in full, then the other operators after slashes); the full names in backticks do as well.
- Common list parameters are those every list's query model has (``ListParams``' and ``article``); a list's row
  holds the others. A sort key may be written with its ``-``.
- A setting is its environment variable: ``ARTICLE_FACTS_<NAME>``, or its alias when the field has one
  (``database_url``: ``DATABASE_URL`` or ``ARTICLE_FACTS_DATABASE_URL``; either one documents it).
- The command line is read from the parser ``app.cli`` builds: ``build_parser()`` if it has one, else the parser
  ``main`` builds, caught when ``main`` calls ``parse_args`` (nothing runs).

Not documented on purpose: ``/docs/oauth2-redirect`` (Swagger UI's own helper page) and the docs pages' static
assets (a mount). The reverse tests fail when a table names a route, parameter, sort key, setting, command or
option that no longer exists. Last, every docs page is linked from the README and every relative link resolves.
"""

import argparse
import contextlib
import importlib.util
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from unittest import mock

import pytest
from pydantic import AliasChoices
from starlette.routing import Mount

from app import cli
from app.backend import Target
from app.main import create_app
from app.resources import RESOURCES
from app.routers.search import SearchParams
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent  # the docs beside these tests, wherever the app is imported from
README = ROOT / "README.md"
DOC_PAGES = sorted((ROOT / "docs").glob("*.md"))
DOC_FILES = [README, *DOC_PAGES]

UNDOCUMENTED_PATHS = {"/docs/oauth2-redirect"}  # Swagger UI's OAuth2 helper page, part of /docs


# --- the documentation's tables -----------------------------------------------------------------------------


@dataclass
class Table:
    file: Path
    header: list[str]
    rows: list[list[str]]


def _cells(line: str) -> list[str]:
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


def _outside_code(path: Path) -> Iterator[str]:
    """The file's lines outside fenced code blocks."""
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            yield line


def tables_of(path: Path) -> list[Table]:
    tables: list[Table] = []
    block: list[str] = []
    for line in [*_outside_code(path), ""]:
        if line.lstrip().startswith("|"):
            block.append(line)
            continue
        if len(block) >= 2 and re.fullmatch(r"[\s|:-]+", block[1]):
            tables.append(Table(path, _cells(block[0]), [_cells(row) for row in block[2:]]))
        block = []
    return tables


TABLES = [table for path in DOC_FILES for table in tables_of(path)]


def find_tables(first_header: str, files: list[Path]) -> list[Table]:
    return [table for table in TABLES if table.file in files and table.header and table.header[0] == first_header]


def rows_of(first_header: str, files: list[Path], strict: bool = True) -> list[list[str]]:
    """The rows of the tables with that header; ``strict``: fail when there is none (not while collecting)."""
    found = find_tables(first_header, files)
    assert found or not strict, (
        f"no table whose header starts `| {first_header} |` in {'README.md' if files == [README] else 'docs/*.md'}"
    )
    return [row for table in found for row in table.rows]


def cell(row: list[str], first_header: str, name: str, files: list[Path]) -> str:
    """The cell of ``row`` in the column called ``name`` of its table."""
    for table in find_tables(first_header, files):
        if row in table.rows and name in table.header:
            index = table.header.index(name)
            return row[index] if index < len(row) else ""
    raise AssertionError(f"the `| {first_header} |` table has no column {name!r}")


def code(cell: str) -> list[str]:
    """What a cell has in backticks."""
    return re.findall(r"`([^`]+)`", cell)


def names_in(cell: str) -> set[str]:
    """Parameter names in backticks; ``x__gt/gte/lt/lte`` stands for the four names."""
    names = set()
    for token in code(cell):
        first, *more = token.split("/")
        base, sep, _ = first.rpartition("__")
        if more and sep and all(re.fullmatch(r"\w+", op) for op in more):
            names.update([first, *(f"{base}__{op}" for op in more)])
        else:
            names.add(token.strip())
    return names


def normalise(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{id}", path)


def documented_paths(strict: bool = True) -> set[str]:
    paths = set()
    for row in rows_of("Route", [README], strict):
        for token in code(row[0]):
            path = re.sub(r"^[A-Z]+\s+", "", token).split("?")[0].strip()
            if path.startswith("/"):
                paths.add(normalise(path))
    return paths


# --- what the code has ---------------------------------------------------------------------------------------


def served_paths(target: Target) -> set[str]:
    """The path of every route ``create_app`` serves, but the undocumented ones."""
    paths: set[str] = set()
    for route in create_app(target).routes:
        if isinstance(route, Mount):  # the docs pages' static assets
            continue
        if getattr(route, "path", None) is not None:
            paths.add(route.path)  # type: ignore[attr-defined]
        elif callable(contexts := getattr(route, "effective_route_contexts", None)):
            paths.update(context.path for context in contexts())  # an included router (FastAPI 0.163)
        else:
            raise AssertionError(f"cannot tell the path of {route!r}: teach served_paths() this kind of route")
    return {normalise(path) for path in paths} - UNDOCUMENTED_PATHS


# Collected before any fixture exists, so built on a database path that is never created: create_app opens
# nothing until the first request. test_routes_are_those_of_the_loaded_database checks the loaded app agrees.
SERVED = served_paths(Path(tempfile.gettempdir()) / "article-facts-docs-test" / "never-created.sqlite3")

COMMON = set.intersection(*(set(resource.query.model_fields) for resource in RESOURCES))
LISTS = {resource.name: resource for resource in RESOURCES}


def setting_names(name: str, field: Any) -> list[str]:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    if isinstance(alias, str):
        return [alias]
    return [f"ARTICLE_FACTS_{name.upper()}"]


SETTINGS = {name: setting_names(name, field) for name, field in Settings.model_fields.items()}


class _Parsed(Exception):
    """Raised in place of parsing: the parser is all we want from ``main``."""


def cli_parser() -> argparse.ArgumentParser:
    build = getattr(cli, "build_parser", None)
    if callable(build):
        parser = build()
        assert isinstance(parser, argparse.ArgumentParser)
        return parser
    caught: list[argparse.ArgumentParser] = []

    def catch(self: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> NoReturn:
        caught.append(self)
        raise _Parsed

    with (
        mock.patch.object(argparse.ArgumentParser, "parse_args", catch),
        mock.patch.object(argparse.ArgumentParser, "parse_known_args", catch),
        contextlib.suppress(_Parsed),
    ):
        cli.main([])
    assert caught, "app.cli.main() never called parse_args: teach cli_parser() how the parser is built now"
    return caught[0]


def arguments(parser: argparse.ArgumentParser) -> list[str]:
    """Long options and positional arguments (upper case, as in a usage line) of one parser."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
            continue
        if action.option_strings:
            found += [option for option in action.option_strings if option.startswith("--")]
        else:
            found.append(action.metavar if isinstance(action.metavar, str) else action.dest.upper())
    return found


PARSER = cli_parser()
SUBCOMMANDS: dict[str, argparse.ArgumentParser] = next(
    (dict(action.choices) for action in PARSER._actions if isinstance(action, argparse._SubParsersAction)), {}
)
COMMANDS = {name: arguments(sub) for name, sub in SUBCOMMANDS.items()}


# --- the code's things are documented -----------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SERVED))
def test_route_documented(path: str) -> None:
    assert path in documented_paths(), (
        f"`{path}` is served but not in README.md's endpoint table: add a row to the table whose header starts "
        f"`| Route |`, with `{path}` (or `GET {path}`) in backticks in its first cell"
    )


def test_routes_are_those_of_the_loaded_database(database: Target) -> None:
    """The routes above were read from an app built before any database existed; the loaded one has the same."""
    assert served_paths(database) == SERVED


@pytest.mark.parametrize("parameter", sorted(COMMON))
def test_common_parameter_documented(parameter: str) -> None:
    documented = {name for row in rows_of("Parameter", [README]) for name in names_in(row[0])}
    assert parameter in documented, (
        f"`{parameter}`, which every list takes, is not in README.md's table of common parameters: add a row "
        f"`| `{parameter}` | what it does |` to the table whose header is `| Parameter | Meaning |`"
    )


def list_row(name: str) -> list[str]:
    for row in rows_of("List", [README]):
        if row[0].strip("` ") == name:
            return row
    raise AssertionError(
        f"the list `{name}` has no row in README.md's table of filters and sort keys (header `| List | Filters "
        f"| Sort keys |`): add `| {name} | its filters | its sort keys |`"
    )


FILTER_CASES = [
    (resource.name, parameter)
    for resource in RESOURCES
    for parameter in resource.query.model_fields
    if parameter not in COMMON
]


@pytest.mark.parametrize(("name", "parameter"), FILTER_CASES, ids=[f"{n}:{p}" for n, p in FILTER_CASES])
def test_filter_documented(name: str, parameter: str) -> None:
    assert parameter in names_in(cell(list_row(name), "List", "Filters", [README])), (
        f"the filter `{parameter}` of /v1/{name} is not in README.md's `{name}` row, Filters cell: add "
        f"`{parameter}` there (a range may be one `x__gt/gte/lt/lte`)"
    )


SORT_CASES = [(resource.name, key) for resource in RESOURCES for key in resource.sorts]


@pytest.mark.parametrize(("name", "key"), SORT_CASES, ids=[f"{n}:{k}" for n, k in SORT_CASES])
def test_sort_key_documented(name: str, key: str) -> None:
    assert key in {token.lstrip("-") for token in code(cell(list_row(name), "List", "Sort keys", [README]))}, (
        f"the sort key `{key}` of /v1/{name} is not in README.md's `{name}` row, Sort keys cell: add `{key}`"
    )


@pytest.mark.parametrize("parameter", sorted(SearchParams.model_fields))
def test_search_parameter_documented(parameter: str) -> None:
    documented = {name for row in rows_of("Search parameter", DOC_FILES) for name in names_in(row[0])}
    assert parameter in documented, (
        f"`{parameter}` of /v1/search is not in the search table (docs/api.md): add a row "
        f"`| `{parameter}` | what it does |` to the table whose header is `| Search parameter | Meaning |`"
    )


def documented_variables(strict: bool = True) -> set[str]:
    return {
        token
        for row in rows_of("Variable", DOC_PAGES, strict)
        for token in code(row[0])
        if re.fullmatch(r"[A-Z0-9_]+", token)
    }


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_setting_documented(setting: str) -> None:
    names = SETTINGS[setting]
    assert set(names) & documented_variables(), (
        f"the setting `{setting}` ({' or '.join(names)}) is not in the settings table of docs/ "
        f"(docs/operations.md, header `| Variable | Default | |`): add a row `| `{names[0]}` | default | what |`"
    )


def command_row(name: str) -> str | None:
    for row in rows_of("Command", DOC_PAGES):
        tokens = code(row[0])
        if tokens and re.match(rf"article-facts {re.escape(name)}(?![\w-])", tokens[0]):
            return row[0]
    return None


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_documented(name: str) -> None:
    assert command_row(name) is not None, (
        f"`article-facts {name}` is not in the command table of docs/ (docs/operations.md, header "
        f"`| Command | What |`): add a row whose first cell is `article-facts {name} [its options]`"
    )


OPTION_CASES = [(name, option) for name, options in COMMANDS.items() for option in options]
OPTION_CASES += [("", option) for option in arguments(PARSER)]  # options of `article-facts` itself, if any


@pytest.mark.parametrize(("name", "option"), OPTION_CASES, ids=[f"{n}:{o}" for n, o in OPTION_CASES])
def test_option_documented(name: str, option: str) -> None:
    cells = (
        [command_row(name) or ""]
        if name
        else [row[0] for row in rows_of("Command", DOC_PAGES) if "article-facts" in row[0]]
    )
    command = f"article-facts {name}".strip()
    assert any(re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) for text in cells), (
        f"`{option}` of `{command}` is not in the command table of docs/ (docs/operations.md): add it to the "
        f"first cell of the `{command}` row"
    )


# --- the documentation names nothing the code lacks -----------------------------------------------------------


@pytest.mark.parametrize("path", sorted(documented_paths(strict=False)))
def test_documented_route_served(path: str) -> None:
    assert path in SERVED, f"README.md's endpoint table has `{path}`, which the app does not serve: remove or fix it"


DOCUMENTED_FILTERS = [
    (row[0].strip("` "), name)
    for row in rows_of("List", [README], strict=False)
    for name in sorted(names_in(cell(row, "List", "Filters", [README])))
]


@pytest.mark.parametrize(("name", "parameter"), DOCUMENTED_FILTERS, ids=[f"{n}:{p}" for n, p in DOCUMENTED_FILTERS])
def test_documented_filter_exists(name: str, parameter: str) -> None:
    assert name in LISTS, f"README.md's table of filters has a row `{name}`, which is not a list: remove or fix it"
    assert parameter in LISTS[name].query.model_fields, (
        f"README.md documents `{parameter}` for /v1/{name}, which does not take it: remove or fix it"
    )


DOCUMENTED_SORTS = [
    (row[0].strip("` "), key)
    for row in rows_of("List", [README], strict=False)
    for key in sorted({token.lstrip("-") for token in code(cell(row, "List", "Sort keys", [README]))})
]


@pytest.mark.parametrize(("name", "key"), DOCUMENTED_SORTS, ids=[f"{n}:{k}" for n, k in DOCUMENTED_SORTS])
def test_documented_sort_key_exists(name: str, key: str) -> None:
    assert name in LISTS and key in LISTS[name].sorts, (
        f"README.md documents the sort key `{key}` for /v1/{name}, which has no such key: remove or fix it"
    )


@pytest.mark.parametrize(
    ("table", "parameter"),
    [
        (table, name)
        for table in ("Parameter", "Search parameter")
        for row in rows_of(table, [README], strict=False)
        for name in sorted(names_in(row[0]))
    ],
)
def test_documented_parameter_exists(table: str, parameter: str) -> None:
    real = COMMON if table == "Parameter" else set(SearchParams.model_fields)
    assert parameter in real, f"README.md's `| {table} |` table has `{parameter}`, which is not one: remove or fix it"


@pytest.mark.parametrize("variable", sorted(documented_variables(strict=False)))
def test_documented_variable_is_a_setting(variable: str) -> None:
    assert any(variable in names for names in SETTINGS.values()), (
        f"the settings table of docs/ has `{variable}`, which app/settings.py does not read: remove or fix it"
    )


DOCUMENTED_COMMANDS = {
    match.group(1): row[0]
    for row in rows_of("Command", DOC_PAGES, strict=False)
    for token in code(row[0])[:1]
    if (match := re.match(r"article-facts (\w[\w-]*)", token))
}
DOCUMENTED_OPTIONS = [
    (name, option)
    for name, text in DOCUMENTED_COMMANDS.items()
    for option in re.findall(r"(?<![\w-])--[a-z][\w-]*", text)
]


@pytest.mark.parametrize("name", sorted(DOCUMENTED_COMMANDS))
def test_documented_command_exists(name: str) -> None:
    assert name in COMMANDS, f"the command table of docs/ has `article-facts {name}`, which does not exist: remove it"


@pytest.mark.parametrize(("name", "option"), DOCUMENTED_OPTIONS, ids=[f"{n}:{o}" for n, o in DOCUMENTED_OPTIONS])
def test_documented_option_exists(name: str, option: str) -> None:
    assert option in COMMANDS.get(name, []), (
        f"the command table of docs/ gives `article-facts {name}` the option `{option}`, which it does not take "
        f"(it takes {', '.join(COMMANDS.get(name, [])) or 'none'}): remove it from docs/operations.md, or add it "
        "to app/cli.py"
    )


# --- pages and links ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", [page.relative_to(ROOT).as_posix() for page in DOC_PAGES])
def test_page_linked_from_readme(page: str) -> None:
    assert re.search(rf"\]\({re.escape(page)}[)#]", README.read_text(encoding="utf-8")), (
        f"{page} is not linked from README.md: add it to the README's list of documentation pages"
    )


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    return {
        re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in _outside_code(path)
        if line.startswith("#")
    }


LINKS = sorted(
    {
        (path, target)
        for path in DOC_FILES
        for line in _outside_code(path)
        for target in re.findall(r"\]\(([^)\s]+)\)", line)
        if not re.match(r"[a-z]+:", target)  # not http:, https:, mailto:
    }
)


@pytest.mark.parametrize(
    ("path", "target"), LINKS, ids=[f"{path.relative_to(ROOT).as_posix()}->{target}" for path, target in LINKS]
)
def test_relative_link_resolves(path: Path, target: str) -> None:
    file, _, anchor = target.partition("#")
    linked = (path.parent / file).resolve() if file else path
    where = path.relative_to(ROOT).as_posix()
    assert linked.exists(), f"{where} links to {target}, which does not exist"
    if anchor and linked.suffix == ".md":
        assert anchor in anchors(linked), f"{where} links to {target}: {linked.name} has no heading #{anchor}"


# --- the performance figures ----------------------------------------------------------------------------------

BENCH = re.compile(r"<!-- bench: (benchmarks/results/[\w.-]+\.json) -->\n(.*?)\n<!-- /bench -->", re.DOTALL)


def test_readme_performance_table_is_the_reports() -> None:
    """The README's performance figures are those of the benchmark run it names, as ``benchmarks/report.py``
    writes them (``readme_table``): a figure copied by hand, or left behind by a newer run, fails."""
    match = BENCH.search(README.read_text())
    assert match, "README.md has no performance section (<!-- bench: benchmarks/results/<run>.json --> ...)"
    spec = importlib.util.spec_from_file_location("bench_report", ROOT / "benchmarks" / "report.py")
    assert spec is not None and spec.loader is not None
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    assert match[2] == report.readme_table(json.loads((ROOT / match[1]).read_text()))
