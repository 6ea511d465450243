"""The OpenAPI document, completed: what FastAPI cannot infer from the routes.

- Every response the app can give is declared: the problem+json errors (400, 404, 405, 414, 431, 500, 503) and
  the 304 revalidation, with their headers (``Allow``, ``Retry-After``, ``X-Request-ID``); FastAPI's 422 (which
  the app never sends) is removed. Schemathesis checks the app against all of it (tests/test_fuzz.py).
- Caching and paging headers (ETag, Cache-Control, Link) are declared.
- ``sort`` is declared by its real allow-list (a pattern), so a client or a fuzzer knows which values work; an
  id in a path by the only form an id has (a slug of at most ``MAX_ID_LENGTH``: anything else is a 404).
- Links lead from a list to its items and next page, and from a fact to the entities and events it embeds, so a
  client (and Schemathesis' stateful run) can walk the data.
- Every 200 carries an example built from the data being served, through the routes' own code, so the docs
  page shows real facts rather than "string".
"""

import re
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, Query
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from app import annotate
from app.backend import ServedDatabase
from app.listing import QueryModel, document
from app.models import MAX_ID_LENGTH, Annotation
from app.patterns import SLUG
from app.problems import PROBLEM_JSON, ProblemError
from app.resources import RESOURCES, Resource
from app.routers import ROUTERS
from app.sql import json_value, run

LISTS = {f"/v1/{resource.name}" for resource in RESOURCES}
ANNOTATIONS = "/v1/articles/{article_id}/annotations"
ANNOTATIONS_SHOWN = 3  # the example shows the first few of an article's annotations
PROBLEM = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
ERRORS = {
    "400": "Bad Request: an unknown parameter (the closest valid one named), a bad value (an id that is not a slug, "
    "in the query or the path), a filter naming an id that does not exist (the closest ids named), an unknown sort "
    "key, a limit out of range",
    "404": "Not Found: no item with the id in the path, no page at the cursor, or no such route",
    "405": "Method Not Allowed: the API is read-only",
    "414": "URI Too Long: the path and query string are over the server's limit",
    "431": "Request Header Fields Too Large: too many request headers, or too large",
    "500": "Internal Server Error: an unexpected failure, logged with the request id (never caused by input)",
    "503": "Service Unavailable: no data to serve yet, a query over its time budget, or the server at its "
    "concurrency limit; try again after `Retry-After` seconds",
}
HEADERS = {
    "ETag": "Validator of this response (dataset version, request, representation and content coding); send it "
    "back in `If-None-Match`.",
    "Cache-Control": "`public, max-age=60`.",
    "Vary": "`Accept, Accept-Encoding`: both select the representation.",
}
REQUEST_ID = "The request's id: the `X-Request-ID` sent, if it is a sane token, else a new one. Logged with it."
LINK = '`<next_url>; rel="next"` when there is a next page.'


def _query_parameters(model: type[BaseModel], components: dict[str, Any]) -> list[dict[str, Any]]:
    """The OpenAPI parameters FastAPI itself documents for ``model`` read as a query model (see ``QueryModel``);
    the schemas they refer to (an enum such as ``Format``) are added to ``components``."""

    async def endpoint(params: Annotated[model, Query()]) -> None:  # type: ignore[valid-type]
        """Documents the model only; never served."""

    document = FastAPI()
    document.get("/")(endpoint)
    built = document.openapi()
    parameters: list[dict[str, Any]] = built["paths"]["/"]["get"].get("parameters", [])
    for name, component in built.get("components", {}).get("schemas", {}).items():
        if name not in ("HTTPValidationError", "ValidationError"):
            components.setdefault(name, component)
    return parameters


def _query_models() -> dict[str, type[BaseModel]]:
    """path -> the query model its GET route reads through ``QueryModel``."""
    models = {}
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for dependency in route.dependant.dependencies:
                    if isinstance(dependency.call, QueryModel):
                        models[route.path_format] = dependency.call.model
    return models


def _sort_pattern(resource: Resource) -> str:
    """The sort values ``cursors.parse_sort`` accepts: allowed keys, each optionally ``-``, none twice.

    A key may have spaces around it (they are stripped); the lookahead refuses a key given twice.
    """
    key = "(?:" + "|".join(re.escape(name) for name in sorted(resource.sorts)) + ")"
    item = rf"\s*-?{key}\s*"
    twice = rf"(?:[\s\S]*,)?\s*-?({key})\s*,(?:[\s\S]*,)?\s*-?\1\s*(?:,|$)"  # [\s\S]: `.` skips newlines
    return rf"^(?!{twice}){item}(?:,{item})*$"


def operation_id(route_name: str) -> str:
    """A route's operation id, what generated clients name their methods: ``list_quotes`` -> ``listQuotes``,
    ``read_quote`` -> ``getQuote``."""
    verb, *words = route_name.split("_")
    return ("get" if verb == "read" else verb) + "".join(word.title() for word in words)


def _operation_links() -> dict[str, dict[str, dict[str, Any]]]:
    """operationId -> the links of its 200 response (OpenAPI 3.1 link objects)."""
    read = {resource.name: (operation_id(f"read_{resource.kind}"), f"{resource.kind}_id") for resource in RESOURCES}

    def to(name: str, pointer: str) -> dict[str, Any]:
        operation, parameter = read[name]
        return {"operationId": operation, "parameters": {parameter: f"$response.body#{pointer}"}}

    def filtered(name: str, parameter: str) -> dict[str, Any]:
        return {"operationId": operation_id(f"list_{name}"), "parameters": {parameter: "$response.body#/id"}}

    links: dict[str, dict[str, dict[str, Any]]] = {}
    for resource in RESOURCES:
        name = resource.name
        links[operation_id(f"list_{name}")] = {
            "FirstItem": to(name, "/data/0/id"),
            "NextPage": {
                "operationId": operation_id(f"list_{name}"),
                "parameters": {
                    "cursor": "$response.body#/next_cursor",
                    "sort": "$request.query.sort",
                    "limit": "$request.query.limit",
                },
                "description": "The next page (keep `sort` and the filters as they were).",
            },
        }
    links[read["quotes"][0]] = {
        "Speaker": to("entities", "/speaker/id"),
        "Event": to("events", "/event/id"),
        "Article": to("articles", "/article"),
    }
    links[read["pledges"][0]] = {"Donor": to("entities", "/donor/id"), "Article": to("articles", "/article")}
    links[read["events"][0]] = {
        "Location": to("entities", "/location/id"),
        "FirstParticipant": to("entities", "/participants/0/entity/id"),
        "Article": to("articles", "/article"),
    }
    links[read["articles"][0]] = {"Publisher": to("entities", "/publisher/id")}
    links[read["entities"][0]] = {
        "QuotesSaid": filtered("quotes", "speaker"),
        "QuotesMentioning": filtered("quotes", "mentions"),
        "PledgesGiven": filtered("pledges", "donor"),
        "PledgesReceived": filtered("pledges", "recipient"),
        "Events": filtered("events", "participant"),
        "Mentions": filtered("mentions", "entity"),
    }
    links[read["mentions"][0]] = {"Entity": to("entities", "/entity/id"), "Article": to("articles", "/article")}
    return links


NOT_ACCEPTABLE = "Not Acceptable: `Accept` names none of the representations on offer (the detail lists them)"
TOTAL = "The number of matching items, for `count=true` in CSV or NDJSON (JSON has `total` in the body)."
TEXT_BODIES = {
    "text/csv": "CSV with a header row: nested fields as dotted columns (`speaker.id`), list items joined with `;` "
    "(a `;` or `\\` inside an item escaped with `\\`), null as an empty cell (docs/api.md).",
    "application/x-ndjson": "One item per line, each the JSON of the item.",
}


def _representations(schema: dict[str, Any], resource: Resource) -> None:
    """A list's and an item's other representations (CSV, NDJSON), the 406, and their JSON with ``fields``: the
    items may hold only the fields asked for, so each item is the full shape or a selection of its fields."""
    components = schema["components"]["schemas"]

    def selection(model: type[BaseModel]) -> dict[str, Any]:
        name = model.__name__
        full = components[name]
        components[f"{name}Fields"] = {
            **{key: value for key, value in full.items() if key != "required"},
            "title": f"{name} (fields)",
            "description": f"Only the fields named in `fields`, as in {name}.",
        }
        return {"anyOf": [{"$ref": f"#/components/schemas/{name}"}, {"$ref": f"#/components/schemas/{name}Fields"}]}

    list_path, item_path = f"/v1/{resource.name}", resource.url("{" + resource.kind + "_id}")
    assert resource.detail_model is not None
    for path, model in ((list_path, resource.model), (item_path, resource.detail_model)):
        operation = schema["paths"][path]["get"]
        responses = operation["responses"]
        ok = responses["200"]
        json = ok["content"]["application/json"]
        if path == list_path:
            page = components[json["schema"]["$ref"].rsplit("/", 1)[1]]
            page["properties"]["data"]["items"] = selection(model)
            _name_facets(page, list(resource.facets))
            ok["headers"]["X-Total-Count"] = _header(TOTAL)
        else:
            json["schema"] = selection(model)
        for media_type, description in TEXT_BODIES.items():
            ok["content"][media_type] = {"schema": {"type": "string", "description": description}}
        responses["406"] = {
            "description": NOT_ACCEPTABLE,
            "content": PROBLEM,
            "headers": {**responses["404"]["headers"]},
        }


def _name_facets(page: dict[str, Any], names: list[str]) -> None:
    """A list page's ``facets`` and ``facets_timed_out`` hold only the list's own facets (what ``facet`` takes)."""
    properties = page["properties"]
    by_name, timed_out = properties["facets"]["anyOf"][0], properties["facets_timed_out"]["anyOf"][0]
    by_name["propertyNames"] = {"enum": names}
    timed_out["items"] = {"enum": names, "type": "string"}


def _header(description: str, required: bool = False) -> dict[str, Any]:
    header: dict[str, Any] = {"description": description, "schema": {"type": "string"}}
    if required:
        header["required"] = True
    return header


def _examples(database: ServedDatabase) -> dict[str, Any]:
    """path -> a real response body: the first item of each resource, as its list and detail routes show it."""
    examples: dict[str, Any] = {}
    with database.engine().connect() as connection:
        for resource in RESOURCES:
            row = connection.execute(select(*resource.columns).order_by(resource.id_column).limit(1)).first()
            if row is None:
                continue
            page = {"data": [json_value(row.doc)], "next_cursor": None, "next_url": None}
            examples[f"/v1/{resource.name}"] = page
            examples[resource.url("{" + resource.kind + "_id}")] = orjson.Fragment(document(connection, resource, row))
        article = connection.execute(select(col(Annotation.article_id)).order_by(col(Annotation.id)).limit(1)).scalar()
        if article is not None:
            rows = run(connection, annotate.statement(connection, (), web=False), {"id": article})
            page = {"data": [json_value(doc) for _, doc in rows[:ANNOTATIONS_SHOWN]], "next_cursor": None}
            examples[ANNOTATIONS] = {**page, "next_url": None}
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
        links = _operation_links()
        sorts = {f"/v1/{resource.name}": _sort_pattern(resource) for resource in RESOURCES}
        request_id = {"X-Request-ID": _header(REQUEST_ID, required=True)}
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    if parameter["in"] == "path":
                        parameter["schema"].update(pattern=SLUG, maxLength=MAX_ID_LENGTH)
                if path in models:
                    parameters = _query_parameters(models[path], schema["components"]["schemas"])
                    operation["parameters"] = operation.get("parameters", []) + parameters
                    if not operation["parameters"]:
                        del operation["parameters"]
                responses = operation["responses"]
                responses.pop("422", None)
                for status, description in ERRORS.items():
                    responses[status] = {"description": description, "content": PROBLEM, "headers": {**request_id}}
                responses["405"]["headers"]["Allow"] = _header("`GET, HEAD`", required=True)
                responses["503"]["headers"]["Retry-After"] = _header("Seconds to wait before trying again.", True)
                ok = responses["200"]
                ok["headers"] = {**ok.get("headers", {}), **request_id}  # a route may declare its own
                if operation["operationId"] in links:
                    ok["links"] = links[operation["operationId"]]
                if path in sorts:
                    for parameter in operation["parameters"]:
                        if parameter["name"] == "sort":
                            parameter["schema"]["anyOf"][0]["pattern"] = sorts[path]
                if path.startswith("/v1"):
                    ok["headers"].update({name: _header(text) for name, text in HEADERS.items()})
                    if path in LISTS:
                        ok["headers"]["Link"] = _header(LINK)
                    if path in examples:
                        ok["content"]["application/json"]["example"] = examples[path]
                    responses["304"] = {
                        "description": "Not Modified: the `If-None-Match` ETag is still current",
                        "headers": {**request_id, **{name: _header(text) for name, text in HEADERS.items()}},
                    }
        for resource in RESOURCES:
            _representations(schema, resource)
        web = annotate.WebAnnotationCollection.model_json_schema(
            by_alias=True, ref_template="#/components/schemas/{model}", mode="serialization"
        )
        schema["components"]["schemas"].update({**web.pop("$defs"), "WebAnnotationCollection": web})
        schema["security"] = []  # public, read-only data: no operation needs credentials
        for unused in ("HTTPValidationError", "ValidationError"):
            schema["components"]["schemas"].pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
