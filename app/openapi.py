"""The OpenAPI document, completed: what FastAPI cannot infer from the routes.

- Errors are declared as the problem+json the app really sends (400, 404, 405, 503), and FastAPI's 422 (which
  the app never sends) is removed.
- Caching and paging headers (ETag, Cache-Control, Link) and the 304 revalidation are declared.
- Every 200 carries an example built from the data being served, through the routes' own code, so the docs
  page shows real facts rather than "string".
"""

from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, Query
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.backend import ServedDatabase
from app.listing import QueryModel, Resource
from app.problems import PROBLEM_JSON, ProblemError
from app.routers import articles, entities, events, meta, pledges, quotes, search
from app.sql import json_value

ROUTERS = (meta, articles, entities, quotes, pledges, events, search)

# resource, its detail(), the name of its detail route's path parameter
RESOURCES: list[tuple[Resource, Callable[..., Any], str]] = [
    (articles.RESOURCE, articles.detail, "article_id"),
    (entities.RESOURCE, entities.detail, "entity_id"),
    (quotes.RESOURCE, quotes.detail, "quote_id"),
    (pledges.RESOURCE, pledges.detail, "pledge_id"),
    (events.RESOURCE, events.detail, "event_id"),
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


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The OpenAPI parameters FastAPI itself documents for ``model`` read as a query model (see ``QueryModel``)."""

    async def endpoint(params: Annotated[model, Query()]) -> None:  # type: ignore[valid-type]
        """Documents the model only; never served."""

    document = FastAPI()
    document.get("/")(endpoint)
    parameters: list[dict[str, Any]] = document.openapi()["paths"]["/"]["get"].get("parameters", [])
    return parameters


def _query_models() -> dict[str, type[BaseModel]]:
    """path -> the query model its GET route reads through ``QueryModel``."""
    models = {}
    for module in ROUTERS:
        for route in module.router.routes:
            if isinstance(route, APIRoute):
                for dependency in route.dependant.dependencies:
                    if isinstance(dependency.call, QueryModel):
                        models[route.path_format] = dependency.call.model
    return models


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


def _examples(database: ServedDatabase) -> dict[str, Any]:
    """path -> a real response body: the first item of each resource, as its list and detail routes show it."""
    examples: dict[str, Any] = {}
    with database.engine().connect() as connection:
        for resource, detail, parameter in RESOURCES:
            row = connection.execute(select(*resource.columns).order_by(resource.id_column).limit(1)).first()
            if row is None:
                continue
            page = {"data": [json_value(row.doc)], "next_cursor": None, "next_url": None}
            examples[f"/v1/{resource.name}"] = page
            examples[resource.url("{" + parameter + "}")] = detail(connection, row.id)
    sent: dict[str, Any] = orjson.loads(orjson.dumps(examples))
    return sent  # exactly what the routes send (stored JSON embedded as is)


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
        models = _query_models()
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                if path in models:
                    parameters = _query_parameters(models[path])
                    operation["parameters"] = operation.get("parameters", []) + parameters
                    if not operation["parameters"]:
                        del operation["parameters"]
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
