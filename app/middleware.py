"""What wraps every request: what every response carries, and what a request may cost before any work is done.

All pure ASGI (a wrapped ``send`` at most, no ``BaseHTTPMiddleware``): together they add a few microseconds to a
request (docs/reliability.md has the measurement). From the outside in:

- ``Envelope``: the request id, the security headers, one JSON log line per request, and a problem document
  (with the request id, without a traceback) in place of a crash. It is the outermost, so even its own 500 and
  every refusal below carry the headers.
- ``RequestLimits``: a method this read-only API never serves (405), an over-long URL (414), too many or too
  large headers (431), refused before routing.
- ``ConcurrencyLimit``: at most N requests at once in this worker; the next one gets a fast 503, not a queue.
- ``HeadAsGet``: HEAD is GET without the body, for every route.
- ``ConditionalGet``: an ETag on every successful GET (one per representation and content coding), and a 304
  for a matching ``If-None-Match``, before any database work (``If-None-Match: *``: a 304 wherever the GET would
  be a 200).
- ``CompressMiddleware`` (starlette-compress, added in ``main.create_app``): zstd, Brotli or gzip by
  ``Accept-Encoding``, for bodies of 500 bytes or more.
- ``AnswerCutOffRequests`` (added by ``article-facts serve`` around the whole app): a request cut off by the end
  of the shutdown grace period is answered 503, not a bare 500.
"""

import asyncio
import hashlib
import logging
import os
import re
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import API_VERSION
from app.annotate import LD_JSON, wants_web_annotations
from app.backend import ServedDatabase
from app.formats import from_accept
from app.logs import REQUEST_ID
from app.problems import ProblemError, problem_response

log = logging.getLogger("article_facts")

# The docs pages run the self-hosted Swagger UI / ReDoc bundles (inline start-up script, blob: workers) and may
# load nothing from elsewhere: ReDoc's "powered by" logo from its CDN is refused by the browser, not fetched.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The reader pages (/articles) run their own script and style sheet and nothing else: no inline script or style
# (the JSON-LD block is data, which no script-src governs), nothing from elsewhere.
READER_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# A client's id is kept only if it is a short token that cannot break a log line or a header.
SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:+/=-]{0,127}")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CACHE_CONTROL = "public, max-age=60"
NO_STORE = ("/healthz",)  # a health check must reach the server every time
VARY = "Accept, Accept-Encoding"  # what else than the URL selects the representation (see ConditionalGet)
VARY_ORIGIN = (b"vary", b"Origin")  # what CORS adds to every response (Cors)
CODINGS = ("zstd", "br", "gzip")  # what the compression middleware may apply (main.create_app)
HEAD_ONLY = "article_facts.head"  # set in the scope of a HEAD turned GET: a file download reads nothing


def _raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in headers.items()]


class Envelope:
    """The request id, security headers, access log and last-resort error answer, for every HTTP request."""

    def __init__(self, app: ASGIApp, docs_paths: tuple[str, ...], reader_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.docs_paths = docs_paths
        self.reader_paths = reader_paths
        self.api_headers = _raw({**SECURITY_HEADERS, "Content-Security-Policy": API_CSP})
        self.docs_headers = _raw({**SECURITY_HEADERS, "Content-Security-Policy": DOCS_CSP})
        self.reader_headers = _raw({**SECURITY_HEADERS, "Content-Security-Policy": READER_CSP})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        token = REQUEST_ID.set(request_id)
        method = scope["method"]  # before HeadAsGet turns HEAD into GET
        path = scope["path"]
        extra = [
            *(
                self.docs_headers
                if path.startswith(self.docs_paths)
                else self.reader_headers
                if self.reader_paths and path.startswith(self.reader_paths)
                else self.api_headers
            )
        ]
        extra.append((b"x-request-id", request_id.encode()))
        status = 0

        async def send_enveloped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_enveloped)
        except Exception:
            log.exception("unexpected error", extra={"method": method, "path": scope["path"]})
            if status:  # the response has begun: nothing can replace it, the server will cut the connection
                raise
            detail = f"The server failed to answer this request. It has been logged as request {request_id}."
            await problem_response(500, detail)(scope, receive, send_enveloped)
        finally:
            REQUEST_ID.reset(token)
            if log.isEnabledFor(logging.INFO):
                access = {
                    "request_id": request_id,
                    "method": method,
                    "route": getattr(scope.get("route"), "path", None),
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                }
                # The record made directly: ``log.info`` would also walk the stack to find its caller, which
                # costs more than the rest of this middleware and says nothing an access log needs.
                log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, "request", (), None, extra=access))


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            if SANE_REQUEST_ID.fullmatch(value):
                return bytes(value).decode()
            break
    return os.urandom(16).hex()  # 128 random bits, as a UUID4's hex would carry (122), for a third of its cost


class RequestLimits:
    """Refuse, before any routing, what no route could answer well."""

    def __init__(self, app: ASGIApp, max_url_bytes: int, max_header_bytes: int, max_header_count: int) -> None:
        self.app = app
        self.max_url_bytes = max_url_bytes
        self.max_header_bytes = max_header_bytes
        self.max_header_count = max_header_count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self._refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> ASGIApp | None:
        method = scope["method"]
        if method not in READ_METHODS:
            return problem_response(
                405, f"{method} is not allowed here; this API is read-only.", headers={"Allow": "GET, HEAD"}
            )
        url_bytes = len(scope.get("raw_path") or scope["path"].encode()) + len(scope["query_string"])
        if url_bytes > self.max_url_bytes:
            return problem_response(
                414, f"The path and query string are {url_bytes} bytes long; this server takes {self.max_url_bytes}."
            )
        headers = scope["headers"]
        if len(headers) > self.max_header_count:
            return problem_response(
                431, f"The request has {len(headers)} headers; this server takes {self.max_header_count}."
            )
        header_bytes = sum(len(name) + len(value) for name, value in headers)
        if header_bytes > self.max_header_bytes:
            return problem_response(
                431, f"The request headers are {header_bytes} bytes long; this server takes {self.max_header_bytes}."
            )
        return None


class ConcurrencyLimit:
    """At most ``limit`` requests in progress in this worker; beyond it a 503 at once, so a burst cannot pile up
    requests that would all time out anyway. One event loop per worker: the counter needs no lock."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            detail = f"The server is answering {self.limit} requests already; try again in a moment."
            await problem_response(503, detail, headers={"Retry-After": "1"})(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class Cors(CORSMiddleware):
    """Starlette's CORS, with a cheaper answer to a request without ``Origin`` (most of them: every request not
    made by a browser's script): its one change, ``Vary: Origin``, appended as a field line of its own rather than
    by rewriting the headers through ``MutableHeaders``, which was a fifth of a 304's CPU. Caches and clients
    combine the two ``Vary`` lines into one list (RFC 9110 5.3)."""

    async def simple_response(self, scope: Scope, receive: Receive, send: Send, request_headers: Headers) -> None:
        if "origin" in request_headers:
            await super().simple_response(scope, receive, send, request_headers)
            return

        async def send_vary_origin(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), VARY_ORIGIN]
            await send(message)

        await self.app(scope, receive, send_vary_origin)


class ConditionalGet:
    """ETag on every successful GET, derived from the dataset and app versions and the request; 304 on a match.

    The tag is known before the request runs, so a revalidation is answered without touching the database. It
    keys the representation too: the one ``Accept`` selects (``format=`` is in the query string already), and
    the content coding the compression inside added (``"<tag>-br"``), so no two representations share a strong
    tag. ``Vary`` says so to caches. Only a listed tag matches: a client can hold one only from an earlier 200 to
    the same request on the same data, so an invalid request never turns into a 304. ``If-None-Match: *`` asks
    whether any representation exists (RFC 9110 13.1.2): only running the request can tell, so it runs, and its
    200 becomes a 304; its 404 or 400 stays.
    """

    def __init__(self, app: ASGIApp, database: ServedDatabase) -> None:
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or scope["path"] in NO_STORE:
            await self.app(scope, receive, send)
            return
        accept = if_none_match = None
        for name, value in scope["headers"]:  # the two it reads, in one pass (``Headers`` looks each one up anew)
            if name == b"accept" and accept is None:
                accept = value.decode("latin-1")
            elif name == b"if-none-match" and if_none_match is None:
                if_none_match = value.decode("latin-1")
        request_key = f"{API_VERSION}\0{from_accept(accept)}\0{scope['path']}?".encode() + scope["query_string"]
        if wants_web_annotations(accept):  # the annotations' own negotiated representation
            request_key += b"\0" + LD_JSON.encode()
        try:
            version = self.database.info().version
        except ProblemError as exc:  # no database to serve: a 503, as the routes would answer
            await exc.response()(scope, receive, send)
            return
        etag = f'"{version}-{hashlib.sha256(request_key).hexdigest()[:16]}"'
        matched = _matching(if_none_match, etag) if if_none_match else None
        if matched:
            await send({"type": "http.response.start", "status": 304, "headers": _cache_headers(matched)})
            await send({"type": "http.response.body", "body": b""})
            return
        any_tag = if_none_match is not None and if_none_match.strip() == "*"
        not_modified = False

        async def send_with_etag(message: Message) -> None:
            nonlocal not_modified
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableHeaders(scope=message)
                coding = headers.get("content-encoding")
                tag = _encoded(etag, coding) if coding else etag
                if any_tag:
                    not_modified = True
                    message = {"type": "http.response.start", "status": 304, "headers": _cache_headers(tag)}
                else:
                    headers["ETag"] = tag
                    headers["Cache-Control"] = CACHE_CONTROL
                    headers["Vary"] = _vary(headers.get("vary"))
            elif message["type"] == "http.response.body" and not_modified:
                if message.get("more_body", False):
                    return  # a 304 has no body: the one empty body message goes with the last part
                message = {"type": "http.response.body", "body": b""}
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
        scope[HEAD_ONLY] = True
        await self.app(scope, receive, send_headers_only)


def _vary(inner: str | None) -> str:
    """``VARY`` added to what the app (or the compression) said already."""
    if not inner:
        return VARY
    return ", ".join(dict.fromkeys([*(name.strip() for name in inner.split(",")), *VARY.split(", ")]))


def _encoded(etag: str, coding: str) -> str:
    return f'{etag[:-1]}-{coding}"'


def _matching(if_none_match: str, etag: str) -> str | None:
    """The listed tag that is this response's, in any of its content codings (weak comparison, RFC 9110)."""
    stem = etag[:-1]
    for tag in if_none_match.split(","):
        tag = tag.strip().removeprefix("W/")
        if tag == etag:
            return tag
        if tag.startswith(stem) and tag.endswith('"') and tag[len(stem)] == "-" and tag[len(stem) + 1 : -1] in CODINGS:
            return tag
    return None


def _cache_headers(etag: str) -> list[tuple[bytes, bytes]]:
    return [(b"etag", etag.encode()), (b"cache-control", CACHE_CONTROL.encode()), (b"vary", VARY.encode())]


class AnswerCutOffRequests:
    """A request still running when the shutdown grace period ends is cancelled; answer it 503 with Retry-After.

    uvicorn would answer it a bare 500, but nothing went wrong with the request: the client may simply retry,
    against this service once it is back or against another instance.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except asyncio.CancelledError:
            # The request's own task, cancelled by uvicorn, which does not wait for it: it may end here, quietly
            # (uvicorn has logged the cancellation) rather than with a traceback for an expected event.
            log.warning("cut off by the end of the shutdown grace period: %s %s", scope["method"], scope["path"])
            if not started:
                problem = ProblemError(503, "The server is shutting down; try again.", headers={"Retry-After": "5"})
                await problem.response()(scope, receive, send)
