"""The app factory: where a request goes.

request -> ``middleware`` (request id, security headers, log line, 500 answer -> CORS -> 405/414/431 -> concurrency
limit 503 -> HEAD as GET -> ETag / 304) -> a router in ``app/routers/`` (its query model, from
``app/resources.py``, validates the parameters) -> ``listing.fetch`` (one SQL query for the page, which reads each
fact's JSON as ``app/render.py`` rendered it at load time) -> JSON. Errors from anywhere leave through
``problems``; ``openapi`` completes the document that the docs pages show.
"""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from starlette_compress import CompressMiddleware, add_compress_type

from app import API_VERSION, logs, openapi, problems, streaming
from app.backend import Target, backend_for
from app.db import Totals
from app.lanes import Lanes
from app.middleware import ConcurrencyLimit, ConditionalGet, Cors, Envelope, HeadAsGet, RequestLimits
from app.problems import PROBLEM_JSON
from app.resources import RESOURCES
from app.routers import ROUTERS, search
from app.settings import get_settings

# Below this a body is sent as it is: compressing it saves too few bytes to be worth the CPU.
MIN_COMPRESSED_BYTES = 500


def _operation_id(route: APIRoute) -> str:
    return openapi.operation_id(route.name)


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Once the server has started: move everything alive now (the app, its routes, models and modules) out of
    the garbage collector's sight. A full collection otherwise walks all of it every few thousand requests, a
    pause of 100 ms or more that every request waiting on this worker's event loop shares (benchmarks/)."""
    gc.collect()
    gc.freeze()
    yield


def create_app(db: Target | None = None) -> FastAPI:
    """The app serving ``db``: a SQLite file or a PostgreSQL URL (default: from the settings)."""
    settings = get_settings()
    logs.configure(settings.log_level)
    target = db or settings.target()
    backend = backend_for(target)
    database = backend.served()
    app = FastAPIOffline(
        title="Article Facts",
        version=API_VERSION,
        redirect_slashes=False,  # the 404 handler redirects a trailing slash itself: 308, to a route only
        lifespan=_lifespan,
        summary="The facts inside news articles, each pointing at the exact characters that support it.",
        description=(
            "Entities, quotes, pledges and events curated from news articles. Every fact carries `evidence`: "
            "`[start, end)` offsets in Unicode code points into the article's verbatim `text` "
            "(`GET /v1/articles/{id}`), so a client can highlight it. Lists page with an opaque `cursor`; "
            "errors are RFC 9457 problem documents; every GET has an ETag. Compatibility within `/v1`: fields and "
            "enum values may be added, never removed, renamed or retyped; clients must ignore fields they do not know."
        ),
        generate_unique_id_function=_operation_id,
        # The app exports no telemetry (its log line is app/logs.py's); FastAPI's own would otherwise look up
        # OpenTelemetry's global providers, three environment variables, on every request: a fifth of a 304's cost.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        servers=[{"url": "http://127.0.0.1:8000", "description": "`make run` on this machine"}],
        openapi_tags=[
            *({"name": resource.name, "description": resource.description} for resource in RESOURCES),
            {"name": "search", "description": "Full-text search across everything."},
            {"name": "export", "description": "The whole dataset in one file: a data package, or the SQLite file."},
            {"name": "meta", "description": "API and dataset version, health."},
        ],
    )
    app.state.database = database
    app.state.lanes = Lanes(database)
    app.state.search_pages = Totals(search.PAGES_KEPT)  # rendered search pages (app/routers/search.py)
    app.state.q_pages = Totals(streaming.Q_PAGES_KEPT)  # list pages with `q` (app/streaming.py)
    app.state.target = target  # what the downloads read (app/routers/export.py)
    problems.install(app)
    backend.install(app)
    for router in ROUTERS:
        app.include_router(router)
    openapi.install(app, database)
    # Each middleware added wraps the ones before it: the last added (Envelope) sees a request first.
    for media_type in ("text/csv", "application/x-ndjson", PROBLEM_JSON):  # beside JSON, which it knows
        add_compress_type(media_type)
    app.add_middleware(CompressMiddleware, minimum_size=MIN_COMPRESSED_BYTES)
    app.add_middleware(ConditionalGet, database=database)
    app.add_middleware(HeadAsGet)
    app.add_middleware(ConcurrencyLimit, limit=settings.max_concurrency)
    app.add_middleware(
        RequestLimits,
        max_url_bytes=settings.max_url_bytes,
        max_header_bytes=settings.max_header_bytes,
        max_header_count=settings.max_header_count,
    )
    app.add_middleware(
        Cors,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "OPTIONS"],
        allow_headers=["If-None-Match", "X-Request-ID"],
        expose_headers=["ETag", "Link", "X-Request-ID", "Retry-After", "X-Total-Count"],
        allow_credentials=False,  # public data: a browser never sends cookies or auth along, whatever the origin
    )
    app.add_middleware(
        Envelope, docs_paths=("/docs", "/redoc", "/static-offline-docs"), reader_paths=("/articles", "/reader-static/")
    )
    return app
