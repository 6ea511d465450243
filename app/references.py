"""Filters that name another resource's id: an id that does not exist is the client's mistake, not an empty list.

``/v1/quotes?speaker=blinken`` would otherwise answer a silent, empty 200; it answers a 400 that names the
parameter, the value and the closest ids that exist ("did you mean `antony-blinken`?"), as Stripe answers
"No such customer". Which filters name ids is read off their columns' foreign keys (``params.referenced``), so a
new filter on an id is checked the day it is declared.

When: only once a page has come back empty. A page with items proves its ids exist, so a successful non-empty
page costs no query more; an empty one costs one indexed look-up per id filter given (``_existing``); the
suggestions are read only on the error path, and through indexes too (a bad id is cheap to send): the ids on
either side of it in the primary key, and those of the items whose indexed text has its words (``app/fts.py``).
"""

import difflib
from typing import Any

from sqlalchemy import Connection, bindparam, select

from app import fts
from app.matches import matching_ids
from app.params import ListParams
from app.problems import ProblemError, bad_parameter
from app.resources import BY_KIND, Resource
from app.sql import Prepared, in_values, values

MAX_SUGGESTIONS = 3
NEIGHBOURS = 25


def check(connection: Connection, resource: Resource, params: ListParams) -> None:
    """Raise a 400 for the first id filter of ``params`` that names an id that does not exist."""
    for name, column in resource.references.items():
        given = getattr(params, name, None)
        if given is not None:
            require(connection, name, column, given if isinstance(given, list) else [given])


def require(connection: Connection, parameter: str, column: Any, wanted: list[str]) -> None:
    """Raise a 400 for the first of the ids ``wanted`` (given as ``parameter``) that ``column`` does not hold."""
    wanted = list(dict.fromkeys(wanted))
    found = {row[0] for row in _existing(column)(connection, ids=values(wanted))}
    missing = [value for value in wanted if value not in found]
    if missing:
        raise no_such(connection, parameter, column, missing[0])


_EXISTING: dict[str, Prepared] = {}


def _existing(column: Any) -> Prepared:
    """Which of the ids ``:ids`` exist: one look-up in the table's primary key, compiled once."""
    key = f"{column.table.name}.{column.name}"
    if key not in _EXISTING:
        _EXISTING[key] = Prepared(lambda: select(column).where(in_values(column, "ids")))
    return _EXISTING[key]


def no_such(connection: Connection, parameter: str, column: Any, value: str) -> ProblemError:
    """The 400 for an id that does not exist, with the closest that do (read only here, on the error path)."""
    kind = column.table.name
    before, after = _neighbours(column)
    nearby = [row[0] for row in reversed(before(connection, value=value))] + [
        row[0] for row in after(connection, value=value)
    ]
    closest = suggestions(value, nearby, _named(connection, kind, value))
    hint = (
        "did you mean " + " or ".join(f"`{id_}`" for id_ in closest) + "?"
        if closest
        else f"see /v1/{BY_KIND[kind].name} for the ids that exist"
    )
    return bad_parameter(parameter, f"there is no {kind} `{value}`; {hint}")


_NEIGHBOURS: dict[str, tuple[Prepared, Prepared]] = {}


def _neighbours(column: Any) -> tuple[Prepared, Prepared]:
    """The NEIGHBOURS ids before ``:value`` (nearest first) and from it on, in the primary key: two seeks."""
    key = f"{column.table.name}.{column.name}"
    if key not in _NEIGHBOURS:
        value: Any = bindparam("value")
        _NEIGHBOURS[key] = (
            Prepared(lambda: select(column).where(column < value).order_by(column.desc()).limit(NEIGHBOURS)),
            Prepared(lambda: select(column).where(column >= value).order_by(column).limit(NEIGHBOURS)),
        )
    return _NEIGHBOURS[key]


def _named(connection: Connection, kind: str, value: str) -> list[str]:
    """Ids of the items of ``kind`` whose indexed text has the words of ``value`` (``blinken``: the entity named
    Antony Blinken), at most NAMED: found through the search index, like ``q``."""
    dialect = connection.dialect.name
    query = fts.query(dialect, value.replace("-", " "))
    if query is None:
        return []
    statement = _NAMED.setdefault(dialect, Prepared(lambda: matching_ids(dialect).limit(NAMED)))
    return [row[0] for row in statement(connection, q=query, search_kind=kind)]


NAMED = 50
_NAMED: dict[str, Prepared] = {}


def suggestions(value: str, nearby: list[str], named: list[str]) -> list[str]:
    """The ids closest to ``value``: those that hold it as whole words (``blinken`` -> ``antony-blinken``), among
    the ids ``named`` by the search index and the ``nearby`` ones (its NEIGHBOURS on either side in sorted order),
    then the most similar of the nearby ones by ``difflib`` (``antony-blinkin`` -> ``antony-blinken``), at most
    MAX_SUGGESTIONS. Comparing with every id would cost a third of a second for one bad event id at 100k quotes
    (3,377 long, alike event ids), and reading them all a scan of the table, for a client's typo."""
    padded = f"-{value}-"
    candidates = set(nearby) | set(named)
    holding = sorted((id_ for id_ in candidates if padded in f"-{id_}-"), key=lambda id_: (len(id_), id_))
    similar = difflib.get_close_matches(value, nearby, n=MAX_SUGGESTIONS, cutoff=0.6)
    return list(dict.fromkeys([*holding, *similar]))[:MAX_SUGGESTIONS]
