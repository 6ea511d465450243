"""Filters that name another resource's id: an id that does not exist is the client's mistake, not an empty list.

``/v1/quotes?speaker=blinken`` would otherwise answer a silent, empty 200; it answers a 400 that names the
parameter, the value and the closest ids that exist ("did you mean `antony-blinken`?"), as Stripe answers
"No such customer". Which filters name ids is read off their columns' foreign keys (``params.referenced``), so a
new filter on an id is checked the day it is declared.

When: only once a page has come back empty. A page with items proves its ids exist, so a successful non-empty
page costs no query more; an empty one costs one indexed look-up per id filter given (``_existing``); the
suggestions (the ids of that kind, compared with ``difflib``) are read only on the error path.
"""

import bisect
import difflib
from typing import Any

from sqlalchemy import Connection, select

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
    closest = suggestions(value, sorted(row[0] for row in connection.execute(select(column))))
    hint = (
        "did you mean " + " or ".join(f"`{id_}`" for id_ in closest) + "?"
        if closest
        else f"see /v1/{BY_KIND[kind].name} for the ids that exist"
    )
    return bad_parameter(parameter, f"there is no {kind} `{value}`; {hint}")


def suggestions(value: str, ids: list[str]) -> list[str]:
    """The ids closest to ``value`` (``ids`` sorted): those that hold it as whole words (``blinken`` ->
    ``antony-blinken``), then the most similar by ``difflib`` (``antony-blinkin`` -> ``antony-blinken``) among its
    NEIGHBOURS on either side in sorted order, at most MAX_SUGGESTIONS. Comparing with every id would cost a third
    of a second for one bad event id at 100k quotes (3,377 long, alike event ids), for a client's typo."""
    padded = f"-{value}-"
    holding = sorted((id_ for id_ in ids if padded in f"-{id_}-"), key=lambda id_: (len(id_), id_))
    at = bisect.bisect_left(ids, value)
    nearby = ids[max(0, at - NEIGHBOURS) : at + NEIGHBOURS]
    similar = difflib.get_close_matches(value, nearby, n=MAX_SUGGESTIONS, cutoff=0.6)
    return list(dict.fromkeys([*holding, *similar]))[:MAX_SUGGESTIONS]
