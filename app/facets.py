"""Facets (``facet=speaker,year``): how many of a list's matching items have each value of a field, the counts a
filter menu shows beside its choices.

A list's facets are its equality filters (``Resource.facets``, derived from its query model), so every value comes
with the URL that selects it: the request's own URL (all its filters, ``q``, sort and facets; no cursor) with
that filter set to the value. Each facet is one statement, counted under every filter of the request: the
``GROUP BY`` of the filtered rows, top ``MAX_VALUES`` by count then value, with each value's label (an entity's
name, an article's or event's title) joined to those few values only. A many-valued field (a pledge's recipients,
an event's participants, a quote's mentions) counts an item once for each of its values. ``year`` counts the
items dated within one calendar year, as the ``<date>__year`` filter selects them.

Counts are kept per dataset version, as ``count=true`` totals are (``totals.cached``). A facet is a statement
under the query budget like any other; one that runs over it is left out and named in ``facets_timed_out``,
and the page is served with the others.
"""

from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import quote_plus, urlencode

from fastapi import Request
from sqlalchemy import Connection, distinct, extract, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from app.listing import compiled, matching
from app.params import Filter, ListParams
from app.problems import ProblemError
from app.resources import Resource
from app.sql import BytewiseOrder, CompiledSQL, run
from app.totals import cached

MAX_VALUES = 30
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped by statement_timeout


def count(
    connection: Connection, resource: Resource, params: ListParams, request: Request
) -> tuple[dict[str, Any], list[str]]:
    """The facets asked for in ``params.facet`` (each once, in the order asked), and those that ran over budget."""
    where = matching(connection, resource, params)
    found: dict[str, Any] = {}
    timed_out: list[str] = []
    for name in dict.fromkeys(params.facet or ()):
        filter_name = resource.facets[name]
        build = partial(_statement, resource, resource.filters[filter_name], where.conditions)
        statement = compiled(connection, resource, ("facet", name, *where.key), build)
        try:
            rows = cached(
                request, connection, (statement.sql, where.bound), partial(_run, connection, statement, where.bound)
            )
        except (ProblemError, DBAPIError) as exc:
            if not _over_budget(exc):
                raise
            timed_out.append(name)
            continue
        found[name] = _facet(rows, filter_name, request)
    return found, timed_out


def _statement(resource: Resource, filter: Filter, conditions: Callable[[], list[ColumnElement[bool]]]) -> Any:
    """``value, count[, label]`` of the top ``MAX_VALUES + 1`` values (one more tells whether there are more)."""
    table: Any = resource.table.__table__  # type: ignore[attr-defined]
    source: Any = table
    counted: Any = func.count()
    where = conditions()
    if filter.year is not None:
        earliest, latest = filter.year
        value: Any = extract("year", earliest)
        where.append(value == extract("year", latest))  # the whole range inside one year, as `__year` selects
        order: Any = value
    else:
        column = filter.column.__clause_element__()
        value = column
        if filter.link is not None:  # one row per (item, value) in the link table; an item counts once per value
            key, link_key = filter.link
            link = column.table.alias("facet_link")
            value, item = link.c[column.key], link.c[link_key.key]
            # Only a filter needs the items themselves; every link row has its item (a foreign key).
            source = link.join(table, key == item) if where else link
            counted = func.count(distinct(item))
        where.append(value.is_not(None))
        order = BytewiseOrder(value)
    top = (
        select(value.label("value"), counted.label("n"))
        .select_from(source)
        .where(*where)
        .group_by(value)
        .order_by(counted.desc(), order)
        .limit(MAX_VALUES + 1)
        .subquery("facet")
    )
    labels = _labels(filter)
    if labels is None:
        return select(top.c.value, top.c.n)
    target, label = labels
    return select(top.c.value, top.c.n, label).select_from(top.outerjoin(target, target.c.id == top.c.value))


def _labels(filter: Filter) -> tuple[Any, Any] | None:
    """The table a facet's values are the ids of, and its column that names them (an entity's name, a title)."""
    if filter.year is not None:
        return None
    for key in filter.column.__clause_element__().foreign_keys:
        target = key.column.table
        return target, target.c["name"] if "name" in target.c else target.c["title"]
    return None


def _run(connection: Connection, statement: CompiledSQL, bound: dict[str, Any]) -> list[tuple[Any, int, Any]]:
    """The counted values, as plain tuples (kept in the cache). On PostgreSQL inside a savepoint: a statement
    stopped by its budget aborts the transaction, which the rest of the page still needs."""
    if connection.dialect.name == "postgresql":
        with connection.begin_nested():
            rows = run(connection, statement, bound)
    else:
        rows = run(connection, statement, bound)
    return [(_value(row[0]), int(row[1]), row[2] if len(row) > 2 else None) for row in rows]


def _value(value: Any) -> Any:
    return value if isinstance(value, str) else int(value)  # a year: SQLite gives an int, PostgreSQL a numeric


def _over_budget(exc: Exception) -> bool:
    if isinstance(exc, ProblemError):  # SQLite's budget (db.QueryBudget) answers 503
        return exc.status == 503
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == QUERY_CANCELED


def _facet(rows: list[tuple[Any, int, Any]], filter_name: str, request: Request) -> dict[str, Any]:
    """``{values: [{value, label, count, url}], truncated}``, most frequent first, then by value."""
    ordered = sorted(rows, key=lambda row: (-row[1], row[0]))
    kept = urlencode([(k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", filter_name)])
    prefix = f"{request.url.path}?{kept}{'&' if kept else ''}{filter_name}="  # encoded once, not once a value
    values = []
    for value, n, label in ordered[:MAX_VALUES]:
        text = str(value)
        values.append({"value": text, "label": label or text, "count": n, "url": prefix + quote_plus(text)})
    return {"values": values, "truncated": len(ordered) > MAX_VALUES}
