"""The OpenAPI document, completed: what FastAPI cannot infer from the routes.

- Errors are declared as the problem+json the app really sends (400, 404, 405, 503), and FastAPI's 422 (which
  the app never sends) is removed.
- Caching and paging headers (ETag, Cache-Control, Link) and the 304 revalidation are declared.
- Every 200 carries an example built from the data being served, through the routes' own code, so the docs
  page shows real facts rather than "string".
"""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.backend import ServedDatabase
from app.listing import NoParams, Resource
from app.problems import PROBLEM_JSON, ProblemError
from app.routers import articles, entities, events, pledges, quotes

RESOURCES: list[tuple[Resource, Callable[..., Any], Callable[..., Any]]] = [
    (articles.RESOURCE, articles.shape, articles.read_article),
    (entities.RESOURCE, entities.shape, entities.read_entity),
    (quotes.RESOURCE, quotes.shape, quotes.read_quote),
    (pledges.RESOURCE, pledges.shape, pledges.read_pledge),
    (events.RESOURCE, events.shape, events.read_event),
]

LISTS = {f"/v1/{resource.name}" for resource, _, _ in RESOURCES}
PROBLEM = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
ERRORS = {
    "400": "Bad Request: an unknown parameter, a bad value, an unknown sort key, a limit out of range",
    "404": "Not Found: no such id or route",
    "405": "Method Not Allowed: the API is read-only",
    "503": "Service Unavailable: no data to serve yet",
}
HEADERS = {
    "ETag": "Validator of this response (dataset version + request); send it back in `If-None-Match`.",
    "Cache-Control": "`public, max-age=60`.",
}
LINK = '`<next_url>; rel="next"` when there is a next page.'


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


def _examples(database: ServedDatabase) -> dict[str, Any]:
    """path -> a real response body: the first item of each resource, as its list and detail routes show it."""
    examples: dict[str, Any] = {}
    with Session(database.engine()) as session:
        for resource, shape, read in RESOURCES:
            row: Any = session.scalars(select(resource.table).order_by(resource.id_column).limit(1)).first()
            if row is None:
                continue
            examples[f"/v1/{resource.name}"] = {"data": shape(session, [row]), "next_cursor": None, "next_url": None}
            examples[resource.url("{" + read.__code__.co_varnames[0] + "}")] = read(row.id, NoParams(), session)
    return examples


def install(app: FastAPI, database: ServedDatabase) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        try:
            examples = _examples(database)
        except (ProblemError, SQLAlchemyError):  # no database yet: the document is complete, without examples
            examples = {}
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                responses = operation["responses"]
                responses.pop("422", None)
                for status, description in ERRORS.items():
                    responses[status] = {"description": description, "content": PROBLEM}
                responses["405"]["headers"] = {"Allow": _header("`GET, HEAD`")}
                responses["503"]["headers"] = {"Retry-After": _header("Seconds to wait before trying again.")}
                if path.startswith("/v1"):
                    ok = responses["200"]
                    ok["headers"] = {name: _header(text) for name, text in HEADERS.items()}
                    if path in LISTS:
                        ok["headers"]["Link"] = _header(LINK)
                    if path in examples:
                        ok["content"]["application/json"]["example"] = examples[path]
                    responses["304"] = {"description": "Not Modified: the `If-None-Match` ETag is still current"}
        for unused in ("HTTPValidationError", "ValidationError"):
            schema["components"]["schemas"].pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
