"""The one list mechanism: filters, sort, keyset cursors and the page envelope, shared by every resource.

A router declares *what* it offers (a ``Resource``: which parameters filter which columns, which sort keys
exist); this module knows *how*: it turns the parsed query model into SQL with bound parameters only, pages
by keyset (never by offset) and signs cursors so a tampered or foreign cursor is refused.
"""

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import UnionType
from typing import Annotated, Any, Generic, TypeVar, Union, cast, get_args, get_origin
from urllib.parse import urlencode

import orjson
from annotated_types import MinLen
from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import ColumnElement, Connection, and_, bindparam, false, func, or_, select, tuple_
from sqlmodel import SQLModel

from app import fts
from app.db import Totals
from app.models import DatasetInfo
from app.problems import ProblemError, bad_parameter
from app.responses import JSON, json_response
from app.settings import get_settings
from app.sql import CompiledSQL, Prepared, compile_sql, in_values, json_value, run, values

MAX_LIMIT = 200
MAX_QUERY_LENGTH = 200
MAX_STATEMENTS = 1024  # compiled query shapes kept per resource


def _split_commas(value: Any) -> Any:
    """``a,b`` and repeated ``x=a&x=b`` both mean the list ``[a, b]``.

    An empty part (``x=``, ``a,,b``) stays in the list, so it is refused like any other bad item rather than
    silently dropped: the OpenAPI document says every item is a non-empty value.
    """
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in values):
        return value
    return [part.strip() for v in values for part in v.split(",")]


T = TypeVar("T")
# A list parameter given as ``a,b`` (or repeated); at least one value.
CommaList = Annotated[list[T], BeforeValidator(_split_commas), MinLen(1)]

# Ids and codes are refused (400) unless they have the only form they can take: an id is a slug, as the loader
# requires (``seeds.SLUG``), so ``speaker=' OR 1=1--`` is a bad parameter, not a search for a strange id.
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(pattern=SLUG)]
is_slug = re.compile(SLUG).match
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]  # ISO 3166-1 alpha-2
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]  # ISO 4217
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]  # ISO 639-1


class ListParams(BaseModel):
    """Query parameters every list accepts."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}.", examples=[10])
    cursor: str | None = Field(None, description="Opaque cursor from a previous page's `next_cursor`.")
    sort: str | None = Field(
        None,
        min_length=1,
        description="Comma-separated sort keys from the resource's allow-list; `-` for descending "
        "(e.g. `-said_on,speaker`). The id is always the final tie-breaker.",
        examples=["-id"],
    )
    count: bool = Field(False, description="Also return `total`, the number of matching items.")
    q: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_QUERY_LENGTH,
        description="Full-text filter: plain words, case- and accent-insensitive, the last word matched as a prefix.",
        examples=["central"],
    )
    article: Slug | None = Field(None, description="Only items from (or, for entities, mentioned in) this article.")


class NoParams(BaseModel):
    """Routes without query parameters still refuse unknown ones (400), like the lists do."""

    model_config = ConfigDict(extra="forbid")


M = TypeVar("M", bound=BaseModel)


def _is_list(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is list:
        return True
    if origin in (Annotated, Union, UnionType):
        return any(_is_list(arg) for arg in get_args(annotation))
    return False


class QueryModel(Generic[M]):
    """A dependency that reads the query string into ``model``, validated by pydantic in one call.

    FastAPI can read a query model itself (``Annotated[Model, Query()]``), but walks its fields in Python on
    every request, which costs more than the whole database work of a page; this does the same job for a
    fraction. ``openapi`` documents the model's fields as the operation's query parameters, as FastAPI would.

    List fields may be repeated (``x=a&x=b``); any other known parameter given twice is ambiguous: a 400, not a
    silent last-wins. Validation errors leave as FastAPI's own, so they get the same problem document.
    """

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.lists = frozenset(name for name, info in model.model_fields.items() if _is_list(info.annotation))

    async def __call__(self, request: Request) -> M:
        raw: dict[str, Any] = {}
        for name, value in request.query_params.multi_items():
            if name in self.lists:
                raw.setdefault(name, []).append(value)
            elif name in raw and name in self.model.model_fields:
                raise bad_parameter(name, "given more than once; give it once (list parameters take a,b)")
            else:
                raw[name] = value
        try:
            return self.model.model_validate(raw)
        except ValidationError as exc:
            errors = [{**error, "loc": ("query", *error["loc"])} for error in exc.errors(include_url=False)]
            raise RequestValidationError(errors) from None


NoQuery = Annotated[NoParams, Depends(QueryModel(NoParams))]


@dataclass(frozen=True)
class Filter:
    """One filter parameter: the column it looks at (which must be indexed) and the condition it builds on a
    bound parameter of the given name (``many``: the parameter is a list, bound as one JSON array)."""

    column: Any
    condition: Callable[[str], ColumnElement[bool]]
    many: bool = False


def eq(col: Any) -> Filter:
    return Filter(col, lambda name: col == bindparam(name))


def one_of(col: Any) -> Filter:
    return Filter(col, lambda name: in_values(col, name), many=True)


def gte(col: Any) -> Filter:
    return Filter(col, lambda name: col >= bindparam(name))


def lte(col: Any) -> Filter:
    return Filter(col, lambda name: col <= bindparam(name))


def gt(col: Any) -> Filter:
    return Filter(col, lambda name: col > bindparam(name))


def lt(col: Any) -> Filter:
    return Filter(col, lambda name: col < bindparam(name))


def date_range(name: str, earliest: Any, latest: Any) -> dict[str, Filter]:
    """``name__gte/gt/lte/lt`` for a fact dated by a range: a bound matches when the range could reach it."""
    return {
        f"{name}__gte": gte(latest),
        f"{name}__gt": gt(latest),
        f"{name}__lte": lte(earliest),
        f"{name}__lt": lt(earliest),
    }


def linked(key: Any, link_key: Any, link_value: Any) -> Filter:
    """Rows whose ``key`` appears in a link table next to the given value (e.g. quotes mentioning X)."""
    return Filter(link_value, lambda name: key.in_(select(link_key).where(link_value == bindparam(name))))


@dataclass
class Resource:
    name: str  # the path segment, e.g. "quotes"
    table: type[SQLModel]
    filters: dict[str, Filter]
    sorts: dict[str, Any]  # sort key -> column; "id" is implied
    default_sort: str
    search_kind: str
    id_column: Any = field(init=False)
    columns: list[Any] = field(init=False)
    page_columns: list[Any] = field(init=False)  # what a list page reads: the rendered doc and the sort keys
    _statements: dict[Hashable, CompiledSQL] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.id_column = cast(Any, self.table).id
        self.columns = list(cast(Any, self.table).__table__.columns)
        keys = {"id", "doc", *(column.key for column in self.sorts.values())}
        self.page_columns = [column for column in self.columns if column.key in keys]
        self.sorts = {**self.sorts, "id": self.id_column}

    def url(self, item_id: str) -> str:
        return f"/v1/{self.name}/{item_id}"

    def get(self, connection: Connection, item_id: str) -> Any:
        """One row by id, or a 404 problem. Only a slug can be an id, so nothing else is looked up: PostgreSQL
        refuses a NUL byte in a text parameter with an error, where the answer is simply "no such item"."""
        build = lambda: select(*self.columns).where(self.id_column == bindparam("id"))  # noqa: E731
        rows = run(connection, self.compiled(connection, "get", build), {"id": item_id}) if is_slug(item_id) else []
        if not rows:
            raise ProblemError(404, f"There is no {self.search_kind} {item_id!r}.")
        return rows[0]

    def document(self, connection: Connection, item_id: str) -> dict[str, Any]:
        """One item's JSON as rendered at load time, or a 404 problem."""
        document: dict[str, Any] = orjson.loads(self.get(connection, item_id).doc)
        return document

    def document_response(self, connection: Connection, item_id: str) -> Response:
        """One item's JSON as rendered at load time, sent as it is stored; or a 404 problem."""
        return Response(self.get(connection, item_id).doc, media_type=JSON)

    def compiled(self, connection: Connection, key: Hashable, build: Callable[[], Any]) -> CompiledSQL:
        """The statement for ``key`` (a shape of query: which filters, which sort...), compiled once per dialect.

        The number of shapes is bounded by the parameters a list accepts; the cache is bounded all the same.
        """
        key = (connection.dialect.name, key)
        statement = self._statements.get(key)
        if statement is None:
            if len(self._statements) >= MAX_STATEMENTS:
                self._statements.clear()
            statement = self._statements[key] = compile_sql(build(), connection.dialect)
        return statement


@dataclass
class PageResult:
    rows: Sequence[Any]
    next_cursor: str | None
    next_url: str | None
    total: int | None

    def response(self) -> Response:
        """The page envelope as JSON (the items as rendered at load time), with a ``Link`` to the next page."""
        page: dict[str, Any] = {
            "data": [json_value(row.doc) for row in self.rows],
            "next_cursor": self.next_cursor,
            "next_url": self.next_url,
        }
        if self.total is not None:
            page["total"] = self.total
        headers = {"Link": f'<{self.next_url}>; rel="next"'} if self.next_url else None
        return json_response(page, headers)


# --- Sort and cursors ----------------------------------------------------------------------------------------


def parse_sort(resource: Resource, sort: str | None) -> list[tuple[str, bool]]:
    """``"-said_on,speaker"`` -> ``[("said_on", True), ("speaker", False), ("id", False)]``; ``"-said_on"`` ->
    ``[("said_on", True), ("id", True)]``."""
    keys: list[tuple[str, bool]] = []
    for raw in (sort or resource.default_sort).split(","):
        name = raw.strip()
        descending = name.startswith("-")
        name = name.removeprefix("-")
        if name not in resource.sorts:
            allowed = ", ".join(sorted(resource.sorts))
            raise bad_parameter("sort", f"unknown sort key {name!r}; use one of: {allowed}")
        if any(name == seen for seen, _ in keys):
            raise bad_parameter("sort", f"sort key {name!r} given twice")
        keys.append((name, descending))
    if all(name != "id" for name, _ in keys):
        # The tie-breaker runs the way the last key does, so that a one-direction order pages by seeking into
        # its (key, id) index; see _after.
        keys.append(("id", keys[-1][1]))
    return keys


def _sign(resource: str, payload: bytes) -> str:
    key = get_settings().cursor_secret.encode()
    return hmac.new(key, resource.encode() + b"\0" + payload, hashlib.sha256).hexdigest()[:16]


def encode_cursor(resource: str, sort: list[tuple[str, bool]], values: list[Any]) -> str:
    spec = ",".join(("-" if desc else "") + name for name, desc in sort)
    payload = json.dumps([spec, [v.isoformat() if isinstance(v, date) else v for v in values]], separators=(",", ":"))
    raw = payload.encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + _sign(resource, raw)


def decode_cursor(resource: Resource, cursor: str, sort: list[tuple[str, bool]]) -> list[Any]:
    """The sort values a cursor resumes after; 400 for anything this server did not issue for this list.

    The signature is checked first, but the payload is still checked for shape and type: the signing key may be
    the public default, and a value that cannot be bound must never reach SQL.
    """
    invalid = bad_parameter("cursor", "not a cursor issued by this list; start again without it")
    body, _, signature = cursor.partition(".")
    try:
        raw = base64.urlsafe_b64decode(body.encode("ascii") + b"=" * (-len(body) % 4))
        if not hmac.compare_digest(_sign(resource.name, raw).encode(), signature.encode("ascii")):
            raise invalid
        spec, values = json.loads(raw)
    except (ValueError, TypeError, RecursionError):  # bad base64, non-ASCII, not JSON, nested too deep, not a pair
        raise invalid from None
    if spec != ",".join(("-" if desc else "") + name for name, desc in sort):
        raise bad_parameter("cursor", "the cursor belongs to another sort order; keep `sort` as it was")
    columns = [resource.sorts[name] for name, _ in sort]
    if not isinstance(values, list) or len(values) != len(columns):
        raise invalid
    try:
        return [_from_json(col, value) for col, value in zip(columns, values, strict=True)]
    except (ValueError, TypeError):
        raise invalid from None


def _from_json(col: Any, value: Any) -> Any:
    """A cursor value as the column's Python type; ValueError/TypeError when it cannot be one."""
    kind = col.type.python_type
    if kind is date:
        return date.fromisoformat(value)
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return value
    if kind in (str, object) and isinstance(value, str) and "\x00" not in value:  # AutoString reports `object`
        return value
    raise TypeError(f"{value!r} is not a {kind.__name__}")


def _after(columns: list[tuple[Any, bool]]) -> ColumnElement[bool]:
    """Rows strictly after the cursor's values ``:after_0, :after_1...`` in the order of ``columns``.

    All keys in one direction: a row-value comparison ``(a, b) > (x, y)``, which the database answers by seeking
    into the (a, b) index. Mixed directions: (a > x) or (a = x and b < y) or ..., which it cannot seek with.
    """
    after: list[Any] = [bindparam(f"after_{i}") for i in range(len(columns))]
    directions = {descending for _, descending in columns}
    if len(directions) == 1:
        keys, values = tuple_(*(col for col, _ in columns)), tuple_(*after)
        return keys < values if directions == {True} else keys > values
    clauses = []
    for i, (col, descending) in enumerate(columns):
        equal = [c == v for (c, _), v in zip(columns[:i], after[:i], strict=True)]
        beyond = col < after[i] if descending else col > after[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


# --- Running a list query ------------------------------------------------------------------------------------


def fetch(connection: Connection, resource: Resource, params: ListParams, request: Request) -> PageResult:
    """One page of ``resource`` for ``params``: 1 query for the page (+1 for ``count=true`` on a new filter).

    The SQL depends only on the shape of the request (which filters, which sort, a cursor or not), so it is
    compiled once per shape; the values are bound parameters.
    """
    bound: dict[str, Any] = {}
    for name, value in params:
        is_filter = name == "article" or name not in ListParams.model_fields
        if is_filter and value is not None:
            bound[name] = values(value) if resource.filters[name].many else value
    filters = tuple(bound)
    search: str | None = None
    if params.q is not None:
        bound["q"], bound["search_kind"] = fts.query(connection.dialect.name, params.q), resource.search_kind
        search = "none" if bound["q"] is None else "match"

    sort = parse_sort(resource, params.sort)
    columns = [(resource.sorts[name], desc) for name, desc in sort]
    if params.cursor:
        for i, value in enumerate(decode_cursor(resource, params.cursor, sort)):
            bound[f"after_{i}"] = value
    bound["limit"] = params.limit + 1

    def conditions() -> list[ColumnElement[bool]]:
        where = [resource.filters[name].condition(name) for name in filters]
        if search is not None:
            where.append(
                resource.id_column.in_(fts.matching_ids(connection.dialect.name)) if search == "match" else false()
            )
        return where

    def page() -> Any:
        query = select(*resource.page_columns).where(*conditions())
        if params.cursor:
            query = query.where(_after(columns))
        order = (col.desc() if desc else col.asc() for col, desc in columns)
        return query.order_by(*order).limit(bindparam("limit"))

    key = ("page", filters, search, tuple(sort), bool(params.cursor))
    rows = run(connection, resource.compiled(connection, key, page), bound)

    next_cursor = next_url = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]._mapping
        next_cursor = encode_cursor(resource.name, sort, [last[col.key] for col, _ in columns])
        query_params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        next_url = f"{request.url.path}?{urlencode([*query_params, ('cursor', next_cursor)])}"

    total = None
    if params.count:
        count_key = ("count", filters, search)
        statement = resource.compiled(
            connection, count_key, lambda: select(func.count()).select_from(resource.table).where(*conditions())
        )
        total = _count(
            connection, statement, {k: v for k, v in bound.items() if not k.startswith(("after_", "limit"))}, request
        )
    return PageResult(rows, next_cursor, next_url, total)


DATASET_INFO = cast(Any, DatasetInfo).__table__.c
DATASET_VERSION = Prepared(lambda: select(DATASET_INFO.version).where(DATASET_INFO.id == 1))


def _count(connection: Connection, statement: CompiledSQL, bound: dict[str, Any], request: Request) -> int:
    """The number of rows matching a filter, counted once per filter and dataset.

    Counting a filter that matches much of a large table reads every matching index entry; paging through it
    would repeat that on every page. The data is immutable between loads, so a total is kept for the dataset
    version that this request's own connection reads (a tiny query): a load that lands mid-request can never
    file the old data's total under the new data.
    """
    version = DATASET_VERSION(connection)[0][0]
    key = (version, statement.sql, tuple(sorted((k, repr(v)) for k, v in bound.items())))
    totals: Totals = request.app.state.database.totals()
    total = totals.get(key)
    if total is None:
        total = totals.put(key, int(run(connection, statement, bound)[0][0]))
    return total
