"""The floor: a bare Starlette app running, with raw ``sqlite3``, the very SQL statements our API runs for a URL.

``run.py`` records the statements the app executes for each scenario's URL (``statements_of``: its second
request, so caches are as warm as under load) into the JSON file ``BENCH_FLOOR`` names; this app answers that URL
by running them on one read-only connection on the event loop, as our inline lane does, and writing their rows
as JSON, stored documents embedded as they are (``orjson.Fragment``). No routing, validation, middleware or
SQLAlchemy: what is left is the SQL itself and the HTTP server, so ours/floor is the share of the work that is
the query. Served by the same uvicorn with the same flags as the others.
"""

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

STATEMENTS: dict[str, list[tuple[str, list[Any]]]] = {}
DB: list[sqlite3.Connection] = []


def embedded(value: Any) -> Any:
    """A stored JSON document goes out as it is; any other value as itself."""
    return orjson.Fragment(value) if isinstance(value, str) and value.startswith("{") else value


async def replay(request: Request) -> Response:
    key = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    statements = STATEMENTS.get(key)
    if statements is None:
        return Response(b'{"error":"no statements recorded for this URL"}', 404, media_type="application/json")
    rows = []
    for sql, parameters in statements:
        for row in DB[0].execute(sql, parameters).fetchall():
            rows.append([embedded(value) for value in row])
    return Response(orjson.dumps({"data": rows}), media_type="application/json")


def create() -> Starlette:
    STATEMENTS.update(json.loads(Path(os.environ["BENCH_FLOOR"]).read_text()))
    connection = sqlite3.connect(f"file:{os.environ['BENCH_DB']}?mode=ro", uri=True, check_same_thread=False)
    connection.execute("PRAGMA query_only = ON")  # as the app's read-only connections (app/db.py)
    DB.append(connection)
    return Starlette(routes=[Route("/healthz", lambda _request: Response(b"ok")), Route("/{path:path}", replay)])
