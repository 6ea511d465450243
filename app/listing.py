"""The one list mechanism: filters, sort, keyset cursors and the page envelope, shared by every resource.

A resource declares *what* it offers (``app/resources.py``: which parameters filter which columns, which sort
keys exist); this module knows *how*: it turns the parsed query model into SQL with bound parameters only, pages
by keyset (never by offset) and signs cursors so a tampered or foreign cursor is refused.
"""

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from types import UnionType
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin
from urllib.parse import urlencode

import orjson
from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    func,
    literal_column,
    select,
    union_all,
)

from app import fts, matches, references
from app.cursors import after, decode_cursor, encode_cursor, ordered_by, parse_sort
from app.formats import Format, Representation, negotiate
from app.params import (
    FEW_IN_RANGE,
    ListParams,
    NoParams,
    Representable,
    is_slug,
)
from app.problems import ProblemError, bad_parameter
from app.resources import Resource
from app.responses import JSON, json_response
from app.sql import CompiledSQL, LeftFirst, Unindexed, compile_sql, run
from app.totals import cached, stored_count

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


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
            for error in errors:  # an unknown parameter is answered with the valid ones (problems.unknown_parameter)
                if error["type"] == "extra_forbidden":
                    error["ctx"] = {"valid": list(self.model.model_fields)}
            raise RequestValidationError(errors) from None


NoQuery = Annotated[NoParams, Depends(QueryModel(NoParams))]

# Compiled statements, one per resource, dialect and shape of query (which filters, which sort...). The number
# of shapes is bounded by the parameters the lists accept; the cache is bounded all the same.
MAX_STATEMENTS = 4096
_statements: dict[Hashable, CompiledSQL] = {}


def compiled(connection: Connection, resource: Resource, key: Hashable, build: Callable[[], Any]) -> CompiledSQL:
    """The statement for ``key`` on ``resource``, compiled once per dialect."""
    key = (resource.name, connection.dialect.name, key)
    statement = _statements.get(key)
    if statement is None:
        if len(_statements) >= MAX_STATEMENTS:
            _statements.clear()
        statement = _statements[key] = compile_sql(build(), connection.dialect)
    return statement


def get(connection: Connection, resource: Resource, item_id: str | int) -> Any:
    """One row by id, or a 404 problem. Only a slug (or a number, validated by its route) can be an id, so nothing
    else is looked up: PostgreSQL refuses a NUL byte in a text parameter with an error, where the answer is simply
    "no such item"."""
    build = lambda: select(*resource.columns).where(resource.id_column == bindparam("id"))  # noqa: E731
    valid = isinstance(item_id, int) or is_slug(item_id)
    rows = run(connection, compiled(connection, resource, "get", build), {"id": item_id}) if valid else []
    if not rows:
        raise ProblemError(404, f"There is no {resource.kind} {str(item_id)!r}.")
    return rows[0]


def document(connection: Connection, resource: Resource, row: Any) -> bytes:
    """An item's JSON: its stored document, with what its detail adds at request time (if anything)."""
    return resource.detail(connection, row) if resource.detail else row.doc.encode()


def representation(request: Request, params: Representable, model: type[BaseModel]) -> Representation:
    """What the request asks for (``format=``, else ``Accept``; a 406 when nothing on offer), cut to ``fields``."""
    chosen = negotiate(request.headers.get("accept"), params.format)
    return Representation(chosen, model, frozenset(params.fields) if params.fields else None)


def read(
    connection: Connection, resource: Resource, item_id: str | int, params: Representable, request: Request
) -> Response:
    """One item as asked for, or a 404 problem (a 406 before any database work)."""
    assert resource.detail_model is not None  # set by Resource
    shown = representation(request, params, resource.detail_model)
    stored = document(connection, resource, get(connection, resource, item_id))
    if shown.format is Format.json:
        body = stored if shown.fields is None else orjson.dumps(shown.parsed(stored))
        return Response(body, media_type=JSON)
    return Response(shown.body([stored]), media_type=shown.media_type)


@dataclass
class PageResult:
    rows: Sequence[Any]
    next_cursor: str | None
    next_url: str | None
    total: int | None
    facets: dict[str, Any] | None = None  # with `facet=`: app/facets.py
    facets_timed_out: list[str] = field(default_factory=list)

    def lines(self, shown: Representation) -> bytes:
        """The page's items as ``shown`` (``Representation.lines``); the stored CSV rows as they are when
        ``shown.stored_csv`` (read by ``fetch(stored_csv=True)``)."""
        if shown.stored_csv:
            return "".join(row.csv for row in self.rows).encode()
        return shown.lines(row.doc for row in self.rows)

    def response(self, shown: Representation) -> Response:
        """The page as asked for, with a ``Link`` to the next page: JSON is the envelope (the items as rendered at
        load time); CSV and NDJSON are the items alone, the total (``count=true``) in ``X-Total-Count``."""
        headers = {"Link": f'<{self.next_url}>; rel="next"'} if self.next_url else {}
        if shown.format is not Format.json:
            if self.total is not None:
                headers["X-Total-Count"] = str(self.total)
            return Response(shown.head() + self.lines(shown), media_type=shown.media_type, headers=headers)
        page: dict[str, Any] = {
            "data": [shown.json_item(row.doc) for row in self.rows],
            "next_cursor": self.next_cursor,
            "next_url": self.next_url,
        }
        if self.total is not None:
            page["total"] = self.total
        if self.facets is not None:
            page["facets"], page["facets_timed_out"] = self.facets, self.facets_timed_out
        return json_response(page, headers)


# --- Running a list query ------------------------------------------------------------------------------------


@dataclass
class Matching:
    """What a list's parameters select: the bound values and the conditions on them (the page, its total and
    its facets all count under these)."""

    bound: dict[str, Any]
    key: tuple[Any, ...]  # the shape of the conditions (which filters, a search or not), for compiled statements
    conditions: Callable[..., list[ColumnElement[bool]]]  # (*names of filters): all but those filters'
    # The first filter given whose condition is a union of seekable alternatives (``Filter.arms``), if any: its
    # name and its alternatives; the page reads one SELECT for each, under the other conditions.
    arms: Callable[[], list[ColumnElement[bool]]] | None = None
    split: str | None = None


def matching(connection: Connection, resource: Resource, params: ListParams) -> Matching:
    bound: dict[str, Any] = {}
    names = []
    for name, value in params:
        if name in resource.filters and value is not None:
            bound.update(resource.filters[name].bind(name, value))
            names.append(name)
    filters = tuple(names)
    search: str | None = None
    if params.q is not None:
        bound["q"], bound["search_kind"] = fts.query(connection.dialect.name, params.q), resource.search_kind
        search = matches.plan(connection, resource.table, resource.search_column, resource.search_kind, bound["q"])

    def conditions(*without: str) -> list[ColumnElement[bool]]:
        where = [resource.filters[name].condition(name) for name in filters if name not in without]
        if search is not None:
            where.append(matches.condition(connection.dialect.name, resource.table, resource.search_column, search))
        return where

    split = next((name for name in filters if resource.filters[name].arms is not None), None)
    if split is None:
        return Matching(bound, (filters, search), conditions)
    arms = resource.filters[split].arms
    assert arms is not None
    column = resource.filters[split].column
    return Matching(bound, (filters, search), conditions, lambda: arms(column, split), split)


def ranges_off_the_sort(
    connection: Connection, resource: Resource, where: Matching, first: Any
) -> tuple[tuple[str, ...], bool]:
    """The range filters (``Filter.order``) whose order is not that of the sort's first key ``first``, and whether on
    SQLite they match fewer than ``FEW_IN_RANGE`` items together: counted through their own index, by one statement
    that stops there. PostgreSQL's planner weighs the ways itself: none."""
    ranges = tuple(
        name for name in where.key[0] if (order := resource.filters[name].order) is not None and order is not first
    )
    if not ranges or connection.dialect.name != "sqlite":
        return (), False

    def build() -> Any:
        found: Any = select(literal_column("1")).where(*(resource.filters[name].condition(name) for name in ranges))
        return select(func.count()).select_from(found.limit(bindparam("few")).subquery())

    statement = compiled(connection, resource, ("few", ranges), build)
    return ranges, run(connection, statement, {**where.bound, "few": FEW_IN_RANGE})[0][0] < FEW_IN_RANGE


def fetch(
    connection: Connection, resource: Resource, params: ListParams, request: Request, stored_csv: bool = False
) -> PageResult:
    """One page of ``resource`` for ``params``: 1 query for the page (+1 for ``count=true`` on a new filter, +1 for
    a ``q`` on SQLite: ``matches.plan``, +1 for a range under another sort on SQLite: ``ranges_off_the_sort``),
    compiled once per shape of request (filters, sort, cursor or not) with
    bound values. ``stored_csv``: read each item's stored CSV row (``row.csv``) instead of its JSON (``row.doc``)."""
    where = matching(connection, resource, params)
    bound, conditions = dict(where.bound), where.conditions

    sort = parse_sort(resource, params.sort)
    plain, first = ordered_by(resource, sort), resource.sorts[sort[0][0]]
    ranges, few = ranges_off_the_sort(connection, resource, where, first)
    if params.cursor is not None:
        for i, value in enumerate(decode_cursor(resource, params.cursor, sort)):
            bound[f"after_{i}"] = value
    bound["limit"] = params.limit + 1

    def page() -> Any:
        def part(*where: ColumnElement[bool]) -> Any:
            query = select(*(resource.csv_page_columns if stored_csv else resource.page_columns)).where(*where)
            return query.where(after(plain)) if params.cursor is not None else query

        order = [col.desc() if desc else col.asc() for col, desc in plain]
        in_range = [resource.filters[name].condition(name) for name in ranges]
        if few:  # the ranges' few matches, found through their own index and sorted; the other conditions tested
            table: Any = resource.table.__table__  # type: ignore[attr-defined]
            rowid: Any = literal_column(f"{table.name}.rowid")
            found = select(rowid.label("rowid")).where(*in_range).subquery("few")
            query = part(*conditions(*ranges)).select_from(LeftFirst(found, table, rowid == found.c.rowid))
        elif ranges and len(ranges) == len(where.key[0]):  # many, no other filter: the sort's index walked
            query = part(*conditions(*ranges), *(Unindexed(condition) for condition in in_range))
        elif where.split is None or where.arms is None or resource.filters[where.split].order is not first:
            # one SELECT
            query = part(*conditions())
        else:  # one SELECT per alternative, each seeking the sort's index, read as one in the page's order
            query = union_all(*(part(*conditions(where.split), arm) for arm in where.arms()))
            order = [query.selected_columns[c.key].desc() if d else query.selected_columns[c.key] for c, d in plain]
        return query.order_by(*order).limit(bindparam("limit"))

    key = ("page", *where.key, tuple(sort), few, params.cursor is not None, stored_csv)
    rows = run(connection, compiled(connection, resource, key, page), bound)
    if not rows:  # nothing found: perhaps because a filter names an id that does not exist (a 400 if so)
        references.check(connection, resource, params)

    next_cursor = next_url = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1]._mapping
        next_cursor = encode_cursor(resource.name, sort, [last[col.key] for col, _ in plain])
        query_params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        next_url = f"{request.url.path}?{urlencode([*query_params, ('cursor', next_cursor)])}"

    total = None
    if params.count and where.key == ((), None):  # no filter, no search
        total = stored_count(connection, resource.name)
    elif params.count:
        statement = compiled(
            connection,
            resource,
            ("count", *where.key),
            lambda: matches.count(resource.table, where.key[1] or "", conditions()),
        )
        total = cached(
            request,
            connection,
            (statement.sql, where.bound),
            lambda: int(run(connection, statement, where.bound)[0][0]),
        )
    return PageResult(rows, next_cursor, next_url, total)
