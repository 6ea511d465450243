"""The app factory: where a request goes.

request -> envelope (request id, security headers, log line, 500 answer) -> CORS -> request limits (405, 414,
431) -> concurrency limit (503) -> HEAD as GET -> conditional GET (ETag / 304) -> router in
``app/routers/`` (parameters validated by its query model) -> ``listing.fetch`` (one SQL query for the page,
which reads each fact's JSON as ``documents`` rendered it at load time with the router's ``shape``) -> JSON.
Errors from anywhere leave through ``problems``; ``openapi`` completes the document that the docs pages show.
"""

import gc
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import backend, logs, openapi, problems
from app.backend import ServedDatabase, Target
from app.middleware import ConcurrencyLimit, Envelope, RequestLimits
from app.problems import ProblemError
from app.resources import RESOURCES
from app.routers import ROUTERS
from app.settings import get_settings

API_VERSION = "1.0.0"
CACHE_CONTROL = "public, max-age=60"
NO_STORE = ("/healthz",)  # a health check must reach the server every time


class ConditionalGet:
    """ETag on every successful GET, derived from the dataset and app versions and the request; 304 on a match.

    The tag is known before the request runs, so a revalidation is answered without touching the database. Only
    a listed tag matches: a client can hold one only from an earlier 200 to the same request on the same data,
    so an invalid request never turns into a 304 (``If-None-Match: *`` is not honoured for that reason).
    """

    def __init__(self, app: ASGIApp, database: ServedDatabase) -> None:
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or scope["path"] in NO_STORE:
            await self.app(scope, receive, send)
            return
        request_key = f"{API_VERSION}\0{scope['path']}?".encode() + scope["query_string"]
        try:
            version = self.database.info().version
        except ProblemError as exc:  # no database to serve: a 503, as the routes would answer
            await exc.response()(scope, receive, send)
            return
        etag = f'"{version}-{hashlib.sha256(request_key).hexdigest()[:16]}"'
        if_none_match = Headers(scope=scope).get("if-none-match")
        if if_none_match and _matches(if_none_match, etag):
            await send({"type": "http.response.start", "status": 304, "headers": _cache_headers(etag)})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_etag(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableHeaders(scope=message)
                headers["ETag"] = etag
                headers["Cache-Control"] = CACHE_CONTROL
            await send(message)

        await self.app(scope, receive, send_with_etag)


class HeadAsGet:
    """HEAD is GET without the body (RFC 9110), for every GET route, without doubling the OpenAPI operations."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # In place, not a copy: the middlewares outside see what routing adds to the scope (the access log
        # reads the route template from it).
        scope["method"] = "GET"
        await self.app(scope, receive, send_headers_only)


def _matches(if_none_match: str, etag: str) -> bool:
    return etag in (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))


def _cache_headers(etag: str) -> list[tuple[bytes, bytes]]:
    return [(b"etag", etag.encode()), (b"cache-control", CACHE_CONTROL.encode())]


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


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
    database = backend.open_database(db or settings.target())
    app = FastAPIOffline(
        title="Article Facts",
        version=API_VERSION,
        redirect_slashes=False,  # /v1/quotes/ is an unknown route (404), not a redirect
        lifespan=_lifespan,
        summary="The facts inside news articles, each pointing at the exact characters that support it.",
        description=(
            "Entities, quotes, pledges and events curated from news articles. Every fact carries `evidence`: "
            "`[start, end)` offsets in Unicode code points into the article's verbatim `text` "
            "(`GET /v1/articles/{id}`), so a client can highlight it. Lists page with an opaque `cursor`; "
            "errors are RFC 9457 problem documents; every GET has an ETag."
        ),
        generate_unique_id_function=_operation_id,
        openapi_tags=[
            *({"name": resource.name, "description": resource.description} for resource in RESOURCES),
            {"name": "search", "description": "Full-text search across everything."},
            {"name": "meta", "description": "API and dataset version, health."},
        ],
    )
    app.state.database = database
    problems.install(app)
    backend.install(app)
    for router in ROUTERS:
        app.include_router(router)
    openapi.install(app, database)
    # Each middleware added wraps the ones before it: the last added (Envelope) sees a request first.
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
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "OPTIONS"],
        allow_headers=["If-None-Match", "X-Request-ID"],
        expose_headers=["ETag", "Link", "X-Request-ID", "Retry-After"],
        allow_credentials=False,  # public data: a browser never sends cookies or auth along, whatever the origin
    )
    app.add_middleware(Envelope, docs_paths=("/docs", "/redoc", "/static-offline-docs"))
    return app
