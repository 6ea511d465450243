"""The one error path: every error leaves as an RFC 9457 ``application/problem+json`` document (but a known
route asked for with a trailing slash, which is redirected to it)."""

import difflib
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.patterns import PATTERN_WORDS
from app.schemas import ParameterError, Problem

log = logging.getLogger("article_facts")

PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class ProblemError(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: list[ParameterError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers

    def response(self) -> JSONResponse:
        return problem_response(self.status, self.detail, self.errors, self.headers)


def bad_parameter(parameter: str, detail: str) -> ProblemError:
    return ProblemError(
        400,
        f"Invalid query parameter {parameter!r}: {detail}",
        [ParameterError(parameter=parameter, detail=detail)],
    )


def problem_response(
    status: int,
    detail: str,
    errors: list[ParameterError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(type="about:blank", title=TITLES.get(status, "Error"), status=status, detail=detail, errors=errors)
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _parameter_name(loc: tuple[Any, ...]) -> str:
    # FastAPI reports ("query", "limit") or, for a query model, ("query", "model", "field"); keep the field.
    names = [str(part) for part in loc[1:] if not isinstance(part, int)]
    return names[-1] if names else str(loc[0])


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        name = _parameter_name(tuple(error["loc"]))
        errors.append(ParameterError(parameter=name, detail=_in_words(name, error)))
    names = ", ".join(dict.fromkeys(e.parameter for e in errors))
    return problem_response(400, f"Invalid request parameters: {names}", errors)


def _in_words(name: str, error: Any) -> str:
    """What is wrong with one parameter, in words a client can act on: an unknown name gets the closest valid one
    and the list of them (``listing.QueryModel`` puts them in the error's ``ctx``), a value of the wrong form is
    told what the form is rather than shown a regular expression (``app/patterns.py``)."""
    ctx = error.get("ctx") or {}
    if error["type"] == "extra_forbidden":
        return unknown_parameter(name, ctx.get("valid", []))
    if error["type"] == "string_pattern_mismatch" and ctx.get("pattern") in PATTERN_WORDS:
        return PATTERN_WORDS[ctx["pattern"]]
    return str(error["msg"])


def unknown_parameter(name: str, valid: list[str]) -> str:
    if not valid:
        return "unknown parameter; this route takes no query parameters"
    closest = difflib.get_close_matches(name.lower(), valid, n=1, cutoff=0.6)
    hint = f"did you mean `{closest[0]}`? " if closest else ""
    return f"unknown parameter; {hint}valid parameters: {', '.join(valid)}"


async def _problem_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
    if exc.status_code == 404 and detail == "Not Found":
        canonical = _without_trailing_slash(request)
        if canonical is not None:
            return RedirectResponse(canonical, status_code=308)
        detail = f"There is nothing at {request.url.path}."
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed here; this API is read-only."
        if headers.get("Allow") == "GET":  # HEAD is served for every GET route (see middleware.HeadAsGet)
            headers["Allow"] = "GET, HEAD"
    return problem_response(exc.status_code, detail, headers=headers)


def _without_trailing_slash(request: Request) -> str | None:
    """``/v1/quotes/?limit=2`` -> ``/v1/quotes?limit=2``, when the path without its one trailing slash is a route.

    The raw path decides, so an encoded ``%2F`` at the end is part of an id, not a slash to drop. A permanent
    redirect (308 keeps the method) rather than a second URL for the same resource, which would be cached twice.
    """
    raw: bytes = request.scope.get("raw_path") or request.url.path.encode()
    path = request.scope["path"]
    if not raw.endswith(b"/") or path == "/":
        return None
    scope = {**request.scope, "path": path[:-1]}
    if not any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
        return None
    query = request.scope["query_string"].decode("latin-1")
    return raw[:-1].decode("latin-1") + ("?" + query if query else "")


def install(app: FastAPI) -> None:
    """Handlers for the errors a request can meet. Unexpected exceptions are answered by ``middleware.Envelope``,
    which sits outside every other middleware, so its 500 still carries the request id and security headers."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


# Registers the Problem schema; main._document_responses moves it under application/problem+json.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {400: {"model": Problem}, 404: {"model": Problem}}
