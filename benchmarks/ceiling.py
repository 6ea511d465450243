"""The ceiling: a bare Starlette app answering every request with a fixed ~5 KB JSON body.

Served by the same uvicorn, with the same flags, as the app and Datasette, it is the most this stack can do on
this machine: whatever a real endpoint adds (routing, validation, SQL, serialization) is measured against it.
"""

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# About 5 KB, the size of a short page of the API: 56 small objects.
BODY = json.dumps(
    {
        "data": [
            {"id": f"item-{i:03d}", "name": f"Item number {i}", "type": "person", "url": f"/v1/entities/item-{i:03d}"}
            for i in range(56)
        ],
        "next_cursor": None,
        "next_url": None,
    },
    separators=(",", ":"),
).encode()


async def fixed(_request: Request) -> Response:
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/{path:path}", fixed)])
