"""The app factory: where a request goes.

request -> CORS -> security headers -> HEAD as GET -> conditional GET (ETag / 304) -> router in
``app/routers/`` (parameters validated by its query model) -> ``listing.fetch`` (one SQL query for the page) ->
the router's ``shape`` (batch look-ups in ``embed``) -> JSON. Errors from anywhere leave through ``problems``;
``openapi`` completes the document that the docs pages show.
"""

import hashlib

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import backend, openapi, problems
from app.backend import ServedDatabase, Target
from app.problems import ProblemError
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


# The docs pages run the self-hosted Swagger UI / ReDoc bundles (inline start-up script, blob: workers) and may
# load nothing from elsewhere: ReDoc's "powered by" logo from its CDN is refused by the browser, not fetched.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """Headers that keep browsers from sniffing, framing or leaking: on every response."""

    def __init__(self, app: ASGIApp, docs_paths: tuple[str, ...]) -> None:
        self.app = app
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"].startswith(self.docs_paths) else API_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(SECURITY_HEADERS)
                headers["Content-Security-Policy"] = csp
            await send(message)

        await self.app(scope, receive, send_with_headers)


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

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


def _matches(if_none_match: str, etag: str) -> bool:
    return etag in (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))


def _cache_headers(etag: str) -> list[tuple[bytes, bytes]]:
    return [(b"etag", etag.encode()), (b"cache-control", CACHE_CONTROL.encode())]


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app(db: Target | None = None) -> FastAPI:
    """The app serving ``db``: a SQLite file or a PostgreSQL URL (default: from the settings)."""
    settings = get_settings()
    database = backend.open_database(db or settings.target())
    app = FastAPIOffline(
        title="Article Facts",
        version=API_VERSION,
        redirect_slashes=False,  # /v1/quotes/ is an unknown route (404), not a redirect
        summary="The facts inside news articles, each pointing at the exact characters that support it.",
        description=(
            "Entities, quotes, pledges and events curated from news articles. Every fact carries `evidence`: "
            "`[start, end)` offsets in Unicode code points into the article's verbatim `text` "
            "(`GET /v1/articles/{id}`), so a client can highlight it. Lists page with an opaque `cursor`; "
            "errors are RFC 9457 problem documents; every GET has an ETag."
        ),
        generate_unique_id_function=_operation_id,
        openapi_tags=[
            {"name": "articles", "description": "The source articles and their verbatim text."},
            {"name": "entities", "description": "People, countries, organizations, places and groups."},
            {"name": "quotes", "description": "Who said what."},
            {"name": "pledges", "description": "Money and support promised, to whom."},
            {"name": "events", "description": "What happened or is planned, when and where."},
            {"name": "search", "description": "Full-text search across everything."},
            {"name": "meta", "description": "API and dataset version, health."},
        ],
    )
    app.state.database = database
    problems.install(app)
    backend.install(app)
    for module in openapi.ROUTERS:
        app.include_router(module.router)
    openapi.install(app, database)
    # Each middleware added wraps the ones before it: the last added (CORS) sees a request first.
    app.add_middleware(ConditionalGet, database=database)
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders, docs_paths=("/docs", "/redoc", "/static-offline-docs"))
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "OPTIONS"],
        allow_headers=["If-None-Match"],
        expose_headers=["ETag", "Link"],
        allow_credentials=False,
    )
    return app
