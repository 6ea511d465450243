"""A catalogue of hostile input, each a test: refused with a 4xx problem document (never a 5xx), the database file
unchanged, and no user string ever part of an SQL statement's text (only bound parameters).

The catalogue is generated from the OpenAPI document: every query parameter of every list (and search) gets the
payloads that fit its declared type, so a new parameter is covered the day it is declared. The one documented
exception is ``q``: plain text by design ("never a syntax error"), so hostile text is searched for its words
(200) rather than refused; it still never reaches SQL as text.
"""

import base64
import hashlib
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from app.backend import Target
from app.cursors import sign
from app.main import create_app
from app.params import FEW_IN_RANGE, sort_columns
from app.resources import RESOURCES, Resource
from app.settings import PROJECT_ROOT, get_settings
from tests.conftest import asgi_client, captured
from tests.test_scale import full_scans, vm_steps
from tools.synth import COMMON_WORD

pytestmark = pytest.mark.anyio

# Parameters only: the document is built without a database (no examples needed here).
SPEC = create_app(PROJECT_ROOT / "no-database-needed.sqlite3").openapi()
LISTS = {path: op["get"] for path, op in SPEC["paths"].items() if "{" not in path and op["get"].get("parameters")}
FREE_TEXT = {"q"}

SQL_AND_FTS = [
    "' OR 1=1--",
    "' OR '1'='1",
    "name;DROP TABLE entity",
    "1); DELETE FROM quote; --",
    "x' UNION SELECT sql FROM sqlite_master--",
    '"AND(*',
    "NEAR(blinken tokayev)",
    'unbalanced "quote',
    "unbalanced 'quote",
    "blink* OR tokay*",
    "{kind}: MATCH",
]
NUL_AND_ENCODINGS = ["%00", "a%00b", "%ff%fe", "%c0%af", "%ed%a0%80", "%E2%80%AE"]  # raw, percent-encoded
HUGE_INTEGERS = [str(2**63), str(2**64), str(-(2**63) - 1), "1" + "0" * 40]
BAD_DATES = ["2023-02-30", "2023-13-01", "0000-00-00", "99999-01-01", "0", "1677542400", "2023-02-28T00:00Z", "today"]
BAD_NUMBERS = ["1e400", "-1e400", "nan", "inf", "Infinity", "0x10", "1,000", "one"]
TEN_KB = "a" * 10_240


def schema_of(parameter: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = parameter["schema"]
    return schema["anyOf"][0] if "anyOf" in schema else schema


@dataclass
class Case:
    path: str
    parameter: str
    raw: list[str]  # values already percent-encoded for the query string
    expect_client_error: bool

    def __str__(self) -> str:
        return f"{self.path}?{self.parameter}"


def catalogue() -> list[Case]:
    """For each parameter of each list: the hostile values its declared type calls for."""
    cases = []
    for path, operation in LISTS.items():
        for parameter in operation["parameters"]:
            name, schema = parameter["name"], schema_of(parameter)
            kind = schema.get("type")
            text = [quote(value, safe="") for value in SQL_AND_FTS] + NUL_AND_ENCODINGS
            if kind == "integer":
                values = [*HUGE_INTEGERS, "0", "-1", str(schema["maximum"] + 1), *text]
                cases.append(Case(path, name, values, True))
            elif kind == "number":  # a huge number is still a number: 200, matching nothing
                cases.append(Case(path, name, [*BAD_NUMBERS, *text], True))
                cases.append(Case(path, name + " (huge)", HUGE_INTEGERS, False))
            elif schema.get("format") == "date":
                cases.append(Case(path, name, [quote(v, safe="") for v in BAD_DATES] + text, True))
            else:  # strings, enums, booleans, lists: SQL and FTS syntax, NUL, non-UTF-8
                cases.append(Case(path, name, text, name not in FREE_TEXT))
    return cases


@pytest.fixture
def fingerprint(app: FastAPI, database: Target) -> Callable[[], str | None]:
    """The sha256 of the database file; on PostgreSQL there is no file (read-only transactions guard it)."""
    return lambda: hashlib.sha256(database.read_bytes()).hexdigest() if isinstance(database, Path) else None


@pytest.fixture
def sql(app: FastAPI) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the app runs during the test, with its bound parameters."""
    with captured(app) as seen:
        yield seen


def assert_problem(response: httpx.Response, url: str) -> None:
    assert 400 <= response.status_code < 500, (url, response.status_code, response.text[:300])
    assert response.headers["content-type"] == "application/problem+json", url
    assert response.json()["status"] == response.status_code, url


@pytest.mark.parametrize("case", catalogue(), ids=str)
async def test_hostile_values(
    client: httpx.AsyncClient, fingerprint: Callable[[], str | None], sql: list[tuple[str, Any]], case: Case
) -> None:
    before = fingerprint()
    parameter = case.parameter.removesuffix(" (huge)")
    for value in case.raw:
        url = f"{case.path}?{parameter}={value}"
        response = await client.get(url)
        assert response.status_code < 500, (url, response.text[:300])
        if case.expect_client_error or response.status_code >= 400:
            assert_problem(response, url)
    for statement, _ in sql:
        for payload in SQL_AND_FTS:
            assert payload not in statement, (payload, statement)
    assert fingerprint() == before


@pytest.mark.parametrize("path", LISTS)
async def test_hostile_text_reaches_sql_only_as_bound_parameters(
    client: httpx.AsyncClient, sql: list[tuple[str, Any]], path: str
) -> None:
    """``q`` does reach the database (as a full-text query built from its words: or, 1, 1): bound, never spliced."""
    await client.get(f"{path}?q={quote(SQL_AND_FTS[0])}")
    searches = [
        statement
        for statement, parameters in sql
        for value in (parameters.values() if isinstance(parameters, dict) else parameters or ())
        if isinstance(value, str) and "or" in value and "1" in value
    ]
    assert searches, "the search ran no query"
    for statement, _ in sql:
        assert "OR 1=1" not in statement


@pytest.mark.parametrize("path", LISTS)
async def test_ten_kilobyte_values(client: httpx.AsyncClient, path: str) -> None:
    for parameter in LISTS[path]["parameters"]:
        response = await client.get(f"{path}?{parameter['name']}={TEN_KB}")
        assert_problem(response, parameter["name"])


@pytest.mark.parametrize("path", LISTS)
async def test_unknown_parameters(client: httpx.AsyncClient, path: str) -> None:
    for name in ("colour", "limit__gte", "id", quote("' OR 1=1--"), "%ff", "%00"):
        response = await client.get(f"{path}?{name}=1")
        assert_problem(response, name)
        details = [error["detail"] for error in response.json()["errors"]]
        assert any(d.startswith("unknown parameter; ") and "valid parameters: " in d for d in details), details


def valid_value(parameter: dict[str, Any]) -> str:
    """A value the parameter accepts, from the document itself (its example, enum or type)."""
    schema = schema_of(parameter)
    if schema.get("type") == "array":
        schema = schema["items"]
    example = (parameter["schema"].get("examples") or schema.get("examples") or [None])[0]
    if isinstance(example, list):
        example = example[0]
    if example is not None:
        return str(example)
    if "enum" in schema:
        return str(schema["enum"][0])
    by_type = {"integer": "1", "number": "1", "boolean": "true"}
    return "2023-02-28" if schema.get("format") == "date" else by_type.get(schema.get("type", ""), "x")


@pytest.mark.parametrize("path", LISTS)
async def test_repeated_parameters(client: httpx.AsyncClient, path: str) -> None:
    """A single-valued parameter given twice is ambiguous: 400 naming it. A list parameter may repeat."""
    checked = 0
    parameters = LISTS[path]["parameters"]
    required = "".join(f"&{p['name']}={quote(valid_value(p))}" for p in parameters if p["required"])
    for parameter in parameters:
        name, value = parameter["name"], quote(valid_value(parameter))
        if name == "cursor":
            continue  # no valid value to repeat without a previous page; made-up ones are refused anyway
        response = await client.get(f"{path}?{name}={value}&{name}={value}" + required * (not parameter["required"]))
        if schema_of(parameter).get("type") == "array":
            assert response.status_code == 200, (name, response.text)
            continue
        assert_problem(response, name)
        assert {"parameter": name, "detail": "given more than once; give it once (list parameters take a,b)"} in (
            response.json()["errors"]
        )
        checked += 1
    assert checked >= 2


def _tamper(cursor: str) -> list[str]:
    body, _, signature = cursor.partition(".")
    payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    forged = base64.urlsafe_b64encode(payload.replace(b"[", b"[1,", 1)).decode().rstrip("=")
    injected = base64.urlsafe_b64encode(b'["id", ["\' OR 1=1--"]]').decode().rstrip("=")
    return [
        body[:-2] + ("AA" if not body.endswith("AA") else "BB") + "." + signature,  # payload changed
        body + "." + signature[::-1],  # signature changed
        forged + "." + signature,  # a well-formed payload the key never signed
        injected + "." + signature,
        cursor[:-1],
        cursor[: len(cursor) // 2],  # truncated
        body,  # no signature
        "." + signature,
        cursor + cursor,
        cursor.replace(".", "%00"),
        cursor + "%ff",
    ]


@pytest.mark.parametrize("path", ["/v1/entities", "/v1/quotes", "/v1/pledges", "/v1/events"])
async def test_tampered_truncated_and_foreign_cursors(client: httpx.AsyncClient, path: str) -> None:
    cursor = (await client.get(f"{path}?limit=1")).json()["next_cursor"]
    assert cursor
    hostile = _tamper(cursor)
    for other in {"/v1/entities", "/v1/quotes", "/v1/pledges", "/v1/events"} - {path}:
        hostile.append((await client.get(f"{other}?limit=1")).json()["next_cursor"])  # another list's cursor
    resource = path.rsplit("/", 1)[1]
    hostile.append(
        base64.urlsafe_b64encode(b"not json").decode().rstrip("=") + "." + sign(resource, b"not json")
    )  # signed with the real key, nonsense inside
    for value in hostile:
        response = await client.get(f"{path}?cursor={value}")
        assert_problem(response, value)
        assert response.json()["errors"][0]["parameter"] == "cursor"


def detail_paths() -> list[str]:
    return [path for path in SPEC["paths"] if "{" in path]


@pytest.mark.parametrize("path", detail_paths())
async def test_hostile_ids_in_paths(client: httpx.AsyncClient, path: str) -> None:
    prefix = path.split("{")[0]
    for value in [quote(v, safe="") for v in SQL_AND_FTS] + NUL_AND_ENCODINGS + ["..%2F..%2Fetc%2Fpasswd", "a" * 3000]:
        response = await client.get(prefix + value)
        # Not an id (not a slug, or too long): the 400 a filter gives; a path that is no route: a 404
        assert response.status_code == (404 if "%2F" in value else 400), (value, response.status_code)
        assert_problem(response, value)


@pytest.mark.parametrize("length", [9_000, 60_000])  # httpx itself refuses URLs over 64 KiB
async def test_very_long_paths(client: httpx.AsyncClient, length: int) -> None:
    response = await client.get("/v1/quotes/" + "a" * length)
    assert response.status_code == 414
    assert_problem(response, "long path")
    assert response.json()["detail"] == (
        f"The path and query string are {len('/v1/quotes/') + length} bytes long; this server takes "
        f"{get_settings().max_url_bytes}."
    )


METHODS = ["POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT", "PROPFIND", "MKCOL", "LINK", "BREW"]


@pytest.mark.parametrize("method", METHODS)
async def test_unknown_and_write_methods(client: httpx.AsyncClient, method: str) -> None:
    for path in ["/v1", "/v1/quotes", "/v1/quotes/diplomat-tread-very-carefully", "/v1/search", "/nowhere", "/docs"]:
        response = await client.request(method, path, content=b"{}")
        assert response.status_code == 405, (method, path)
        assert response.headers["allow"] == "GET, HEAD"
        assert_problem(response, f"{method} {path}")


async def test_the_catalogue_covers_every_parameter() -> None:
    """Guards the generator: a parameter type it does not know would otherwise be skipped silently."""
    covered = {(case.path, case.parameter.removesuffix(" (huge)")) for case in catalogue()}
    declared = {(path, p["name"]) for path, op in LISTS.items() for p in op["parameters"]}
    assert covered == declared
    assert len(LISTS) == 7


# --- Expensive but valid -------------------------------------------------------------------------------------
# Valid requests chosen to be costly, generated from the registry (every list's filters and sort keys) and the
# OpenAPI document (each filter's type): each filter at its extremes, every sort key in both directions with its
# next page, common words and one-letter prefixes for `q`. On the 20,000-quote synthetic corpus, every statement
# behind them must use an index (tests/test_scale.py's full_scans): none may read a large table in full.
# "{busiest}" and "{missing}" stand for the filter column's most frequent value and one it never holds.

BUSIEST, MISSING = "{busiest}", "{missing}"
WORDS = [COMMON_WORD, "the", "t", "s"]  # a common content word, the commonest word, one-letter prefixes


def resolved(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return SPEC["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def extremes(schema: dict[str, Any]) -> list[str]:
    """The costliest values a filter of this type takes: its bounds, every value of a closed set, or (for ids and
    codes) the busiest value and one that no item has."""
    schema = resolved(schema)
    if schema.get("type") == "array":
        items = resolved(schema["items"])
        every = ",".join(items["enum"][: schema["maxItems"]]) if "enum" in items else None
        return [every] if every else [f"{BUSIEST},{MISSING}", BUSIEST, MISSING]
    if "enum" in schema:
        return [str(value) for value in schema["enum"]]
    if schema.get("format") == "date":
        return ["0001-01-01", "9999-12-31"]
    if schema.get("type") == "integer":
        return [str(schema["minimum"]), str(schema["maximum"])]
    if schema.get("type") == "number":
        return [str(schema["minimum"]), "0.01", str(schema["maximum"])]
    return [BUSIEST, MISSING]


def expensive() -> list[str]:
    """Query strings of valid requests (a template when they name "{busiest}" or "{missing}"), for every list."""
    urls = []
    for resource in RESOURCES:
        path = f"/v1/{resource.name}"
        parameters = {p["name"]: schema_of(p) for p in LISTS[path]["parameters"]}
        for name in resource.filters:
            urls += [f"{path}?{name}={value}" for value in extremes(parameters[name])]
        for key in resource.sorts:
            urls += [f"{path}?sort={key}", f"{path}?sort=-{key}"]
        mixed = [key for key in resource.sorts if key != "id"][:2]
        if len(mixed) == 2:
            urls.append(f"{path}?sort={mixed[0]},-{mixed[1]}")
        urls += [f"{path}?q={word}" for word in WORDS] + [f"{path}?q={WORDS[0]}&count=true"]
    return urls + [f"/v1/search?q={word}" for word in WORDS] + [f"/v1/search?q={WORDS[1]}&type=quote"]


@pytest.fixture
async def scale_client(scale_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(scale_app) as client:
        yield client


@pytest.fixture
def scale_sql(scale_app: FastAPI) -> Iterator[list[tuple[str, Any]]]:
    with captured(scale_app) as seen:
        yield seen


def fill(url: str, scale_db: Path) -> str:
    """The template with real values: the filter column's busiest value, and a value of the same form it lacks."""
    if BUSIEST not in url and MISSING not in url:
        return url
    path, _, query = url.partition("?")
    name = query.split("=", 1)[0]
    column = column_of(next(r for r in RESOURCES if path == f"/v1/{r.name}").filters[name].column)
    with closing(sqlite3.connect(f"file:{scale_db}?mode=ro", uri=True)) as db:
        table, name = column.table.name, column.name
        sql = f"SELECT {name} FROM {table} WHERE {name} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        (busiest,) = db.execute(sql).fetchone()
    missing = "zz" if busiest.islower() and len(busiest) == 2 else "ZZ" if len(busiest) <= 3 else "no-such-id"
    if busiest.isupper():
        missing = "Z" * len(busiest)
    return url.replace(BUSIEST, busiest).replace(MISSING, missing)


def column_of(attribute: Any) -> Any:
    return attribute.property.columns[0] if hasattr(attribute, "property") else attribute


def needed(response: httpx.Response) -> str | None:
    """What a refused request says it needs too, as its example (``give `currency` too (e.g. currency=USD)``)."""
    found = re.search(r"\(e\.g\. (\w+=\w+)\)", response.text) if response.status_code == 400 else None
    return found[1] if found else None


@pytest.mark.parametrize("url", expensive())
async def test_expensive_but_valid_requests_use_indexes(
    scale_client: httpx.AsyncClient, scale_sql: list[tuple[str, Any]], scale_db: Path, url: str
) -> None:
    """The page, and the next one when there is one, run on indexes only. A filter naming only an id that does not
    exist is a 400 with suggestions (app/references.py), read through indexes too; anything else is a 200."""
    url = fill(url, scale_db)
    response = await scale_client.get(url)
    if (also := needed(response)) is not None:  # an amount needs its currency: given, the request is valid
        url += f"&{also}"
        response = await scale_client.get(url)
    if response.status_code == 400 and "=no-such-id" in url:  # no item names it: an empty page would hide that
        assert_problem(response, url)
        assert "there is no" in response.text
    else:
        assert response.status_code == 200, (url, response.text[:300])
        next_url = response.json().get("next_url")
        if next_url:
            assert (await scale_client.get(next_url)).status_code == 200, next_url
    with closing(sqlite3.connect(f"file:{scale_db}?mode=ro", uri=True)) as db:
        scans = [line for statement, parameters in scale_sql for line in full_scans(db, statement, parameters)]
    assert scale_sql, "no SQL statement was captured"
    assert scans == []


def test_every_filter_and_sort_key_is_expensively_requested() -> None:
    """Guards the generator: every filter and sort key of every list has its extreme requests."""
    urls = expensive()
    for resource in RESOURCES:
        mine = [url for url in urls if url.startswith(f"/v1/{resource.name}?")]
        used = {url.split("?")[1].split("=")[0] for url in mine}
        assert set(resource.filters) <= used, resource.name
        assert {f"sort={key}" for key in resource.sorts} <= {url.split("?")[1] for url in mine}, resource.name


# Each range filter (``Filter.order``) at its extremes under every sort key of its list, both ways, and its next
# page. Under a sort not in its order, a page counts the range's matches through its own index (up to
# FEW_IN_RANGE): few, it reads them that way and sorts them, and then no statement may walk an index testing each
# row (which reads every row when none match); many, it walks the sort's index, which must find its page within
# what counting FEW_IN_RANGE rows twice and four pages without the filter cost (the bound of
# tests/test_scale.py's date bounds). The rows are those plain SQL gives.
OPERATORS = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}


def ranges_under_every_sort() -> list[str]:
    urls = []
    for resource in RESOURCES:
        path = f"/v1/{resource.name}"
        parameters = {p["name"]: schema_of(p) for p in LISTS[path]["parameters"]}
        for name in (name for name, f in resource.filters.items() if f.order is not None):
            for value in extremes(parameters[name]):
                urls += [f"{path}?{name}={value}&sort={way}{key}" for key in resource.sorts for way in ("", "-")]
    return urls


def in_plain_sql(url: str) -> tuple[Resource, str, list[Any], str]:
    """The list, the range's condition in plain SQL with its values, and the ORDER BY of the URL's sort."""
    path, _, query = url.partition("?")
    resource = next(r for r in RESOURCES if path == f"/v1/{r.name}")
    (name, value), (_, sort) = (part.split("=") for part in query.split("&")[:2])
    ranged = resource.filters[name]
    if ranged.year is not None:
        earliest, latest = (column_of(c).name for c in ranged.year)
        where, values = f"{earliest} >= ? AND {latest} <= ?", [f"{value:0>4}-01-01", f"{value:0>4}-12-31"]
    else:
        operator = OPERATORS[name.rsplit("__", 1)[1]]
        where, values = f"{column_of(ranged.column).name} {operator} ?", [value if "-" in value else float(value)]
    way = " DESC" if sort.startswith("-") else ""
    key = resource.sorts[sort.removeprefix("-")]
    order = [column_of(c).name + way for c in sort_columns(key, bool(way))]
    return resource, where, values, ", ".join(order if key is resource.id_column else [*order, f"id{way}"])


@pytest.mark.parametrize("url", ranges_under_every_sort())
async def test_a_range_under_any_sort_reads_its_few_matches_or_walks_to_many(
    scale_client: httpx.AsyncClient, scale_sql: list[tuple[str, Any]], scale_db: Path, url: str
) -> None:
    resource, where, values, order = in_plain_sql(url)
    table, sort = resource.table.__tablename__, url.split("&sort=")[1]
    also = ""
    response = await scale_client.get(url)
    if (needs := needed(response)) is not None:  # an amount needs its currency: given, the request is valid
        url += f"&{needs}"
        also = " AND {} = '{}'".format(*needs.split("="))
        response = await scale_client.get(url)
    assert response.status_code == 200, (url, response.text[:300])
    walked = [item["id"] for item in response.json()["data"]]
    if next_url := response.json()["next_url"]:
        walked += [item["id"] for item in (await get_ok(scale_client, next_url)).json()["data"]]
    statements = list(scale_sql)
    scale_sql.clear()
    await get_ok(scale_client, f"/v1/{resource.name}?sort={sort}")
    page_alone = next(statement for statement in scale_sql if " LIMIT " in statement[0])
    with closing(sqlite3.connect(f"file:{scale_db}?mode=ro", uri=True)) as db:
        sql = f"SELECT id FROM {table} WHERE {where}{also} ORDER BY {order} LIMIT 100"
        assert walked == [row[0] for row in db.execute(sql, values)]
        (matches,) = db.execute(f"SELECT count(*) FROM {table} WHERE {where}", values).fetchone()
        count = f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT ?)"
        bound = 2 * vm_steps(db, count, (FEW_IN_RANGE,)) + 4 * vm_steps(db, *page_alone)
        for statement, parameters in statements:
            scans = full_scans(db, statement, parameters)
            walks = scans and all(re.search(r"SCAN \w+ USING (COVERING )?INDEX ", line) for line in scans)
            if matches >= FEW_IN_RANGE and walks:
                assert vm_steps(db, statement, parameters) <= bound, (scans, bound)
            else:
                assert scans == [], matches


async def get_ok(client: httpx.AsyncClient, url: str) -> httpx.Response:
    response = await client.get(url)
    assert response.status_code == 200, (url, response.text[:300])
    return response


def test_every_range_is_requested_under_every_sort_key() -> None:
    """Guards the generator: each list's ranges (its date's and amounts') under each of its sort keys."""
    urls = ranges_under_every_sort()
    for resource in RESOURCES:
        ranges = {name for name, f in resource.filters.items() if f.order is not None}
        assert ranges == {name for name in resource.filters if re.search(r"__(gte?|lte?|year)$", name)}
        for name in ranges:
            for key in resource.sorts:
                assert any(f"?{name}=" in url and url.endswith(f"&sort=-{key}") for url in urls), (name, key)
