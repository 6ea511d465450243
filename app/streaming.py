"""A list route's answer: one page (``listing.fetch``), or with ``stream=true`` every matching item of the list, in
the list's order: CSV rows, NDJSON lines, or (for JSON) one page envelope that holds them all.

The export is the list's own keyset paging run by the server: batches of ``BATCH`` items, each one indexed
statement under the query budget (the budget is per batch, not per export), each read on a connection taken for
that batch and given back before the batch is sent, so memory stays that of one batch whatever the size of the
export, and a slow client holds no connection. When the client goes away the response stops asking for batches
(Starlette cancels the body, or the server's ``send`` fails), so the work stops with it. At most
``export_max_rows`` items are sent (a setting); the response says so in ``X-Row-Cap``.
"""

from collections.abc import AsyncIterator
from dataclasses import replace

import orjson
from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import Connection

from app import facets
from app.backend import ServedDatabase
from app.formats import Format, Representation
from app.lanes import Lanes
from app.listing import PageResult, fetch, representation
from app.params import ListParams
from app.problems import bad_parameter
from app.resources import Resource
from app.settings import get_settings
from app.totals import cached

# CSV and NDJSON are the items alone, with no place for counts beside them (a header would hold only a few
# facets before proxies refuse it): the JSON page of the same URL has them.
FACETS_IN_JSON = (
    "facets come only with JSON: drop `facet`, or ask the same URL without `format=csv`/`ndjson` (or with "
    "`Accept: application/json`) for the counts"
)
# A page with `q` reads the full-text index, and a common word all its matches' rowids (16 ms of CPU for
# quotes?q=security at 1M), while a front end asks the same few words over and over: the last Q_PAGES_KEPT such
# pages are kept, as search's are (app/routers/search.py). 64 pages of at most 200 items: 13 MiB at most.
Q_PAGES_KEPT = 64
BATCH = 1000  # items per statement: large enough to amortise a query, small enough to stay well under budget


def page(connection: Connection, resource: Resource, params: ListParams, request: Request) -> Response:
    """A list page as asked for (a 406 before any database work), or the whole list streamed."""
    shown = representation(request, params, resource.model)
    if params.facet is not None and shown.format is not Format.json:
        raise bad_parameter("facet", FACETS_IN_JSON)
    if params.stream:
        return export(request, resource, params, shown)
    if params.q is None:
        result = fetch(connection, resource, params, request, shown.stored_csv)
    else:  # kept per dataset version (Q_PAGES_KEPT); a copy, since the facets below are set on it

        def read() -> PageResult:
            return fetch(connection, resource, params, request, shown.stored_csv)

        key = ("list", {"kind": resource.name, "query": request.url.query, "csv": shown.stored_csv})
        result = replace(cached(request, connection, key, read, request.app.state.q_pages))
    if params.facet is not None:
        result.facets, result.facets_timed_out = facets.count(connection, resource, params, request)
    return result.response(shown)


def export(request: Request, resource: Resource, params: ListParams, shown: Representation) -> Response:
    """The whole list as ``shown``, streamed: CSV rows, NDJSON lines, or one JSON page holding every item."""
    cap = get_settings().export_max_rows
    database: ServedDatabase = request.app.state.database
    lanes: Lanes = request.app.state.lanes

    def batch(cursor: str | None, sent: int, count: bool) -> PageResult:
        update = {"cursor": cursor, "limit": min(BATCH, cap - sent), "count": count, "stream": False}
        with database.engine().connect() as connection:
            return fetch(connection, resource, params.model_copy(update=update), request, shown.stored_csv)

    # The first batch before the response starts: a bad cursor or an over-budget query is still a 4xx/503.
    first = batch(params.cursor, 0, params.count)
    as_json = shown.format is Format.json
    end = b""
    if params.facet is not None:  # JSON only (`page`); counted before the first byte, like the total
        with database.engine().connect() as connection:
            found, timed_out = facets.count(connection, resource, params, request)
        end = b',"facets":' + orjson.dumps(found) + b',"facets_timed_out":' + orjson.dumps(timed_out)

    async def body() -> AsyncIterator[bytes]:
        yield b'{"data":[' if as_json else shown.head()
        result, sent = first, 0
        while True:
            if result.rows:
                yield (b"," if as_json and sent else b"") + result.lines(shown)
            sent += len(result.rows)
            if result.next_cursor is None or sent >= cap:
                break
            result = await lanes.slow(batch, result.next_cursor, sent, False)  # off the event loop
        if as_json:
            total = b"" if first.total is None else b',"total":%d' % first.total
            yield b'],"next_cursor":null,"next_url":null' + total + end + b"}"

    headers = {"X-Row-Cap": str(cap)}
    if first.total is not None:
        headers["X-Total-Count"] = str(first.total)
    return StreamingResponse(body(), media_type=shown.media_type, headers=headers)
