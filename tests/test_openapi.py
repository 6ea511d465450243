"""The OpenAPI document: builds, is 3.1, documents every parameter and field, and its examples are real."""

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.anyio


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, op) for path, ops in spec["paths"].items() for op in ops.values()]


async def test_every_route_is_documented(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {
        "/v1",
        "/healthz",
        "/v1/search",
        "/v1/articles/{article_id}/annotations",
        *(f"/v1/{name}" for name in ("articles", "entities", "mentions", "quotes", "pledges", "events")),
        *(
            f"/v1/{name}/{{{single}_id}}"
            for name, single in (
                ("articles", "article"),
                ("entities", "entity"),
                ("mentions", "mention"),
                ("quotes", "quote"),
                ("pledges", "pledge"),
                ("events", "event"),
            )
        ),
    }
    for path, op in operations(spec):
        assert op["description"], path
        assert op["operationId"].isalnum() and op["operationId"][0].islower(), path  # listQuotes, getQuote


async def test_every_parameter_has_a_description(spec: dict[str, Any]) -> None:
    for path, op in operations(spec):
        for parameter in op.get("parameters", []):
            assert parameter.get("description"), f"{path} {parameter['name']}"


async def test_every_field_has_a_description(spec: dict[str, Any]) -> None:
    for name, schema in spec["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{field}"


async def test_errors_are_declared_as_problem_documents(spec: dict[str, Any]) -> None:
    for path, op in operations(spec):
        responses = op["responses"]
        assert "422" not in responses, path
        for status in ("400", "404", "405", "414", "431", "500", "503"):
            assert responses[status]["content"] == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }, f"{path} {status}"
        assert ("304" in responses) == path.startswith("/v1"), path
        assert set(responses["405"]["headers"]) == {"Allow", "X-Request-ID"}
        assert set(responses["503"]["headers"]) == {"Retry-After", "X-Request-ID"}
        for status, response in responses.items():
            assert response["headers"]["X-Request-ID"]["required"] is True, f"{path} {status}"
        if path.startswith("/v1"):
            expected = {"ETag", "Cache-Control", "X-Request-ID"} | (
                {"Link"} if path.count("/") == 2 and path != "/v1/search" else set()
            )
            assert set(responses["200"]["headers"]) == expected, path


async def test_parameter_examples_come_from_the_real_data(spec: dict[str, Any], client: httpx.AsyncClient) -> None:
    """Running each documented example returns something: no example points at data that does not exist."""
    checked = 0
    for path, op in operations(spec):
        required = {
            p["name"]: p["schema"]["examples"][0]
            for p in op.get("parameters", [])
            if p["required"] and p["in"] == "query"
        }
        at = path
        for p in op.get("parameters", []):
            if p["in"] == "path":  # a query parameter's example is tried at the path's own example
                at = at.replace("{" + p["name"] + "}", p["schema"]["examples"][0])
        for parameter in op.get("parameters", []):
            for example in parameter["schema"].get("examples", []):
                if parameter["in"] == "path":
                    url, params = path.replace("{" + parameter["name"] + "}", example), {}
                else:
                    url, params = at, {**required, parameter["name"]: example}
                response = await client.get(url, params=params)
                assert response.status_code == 200, f"{path} {parameter['name']}={example}"
                body = response.json()
                assert body.get("data", [body]), f"{path} {parameter['name']}={example} finds nothing"
                checked += 1
    assert checked >= 10


async def test_the_api_description_points_at_the_docs(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/redoc")).status_code == 200


async def test_response_examples_are_what_the_api_serves(spec: dict[str, Any], client: httpx.AsyncClient) -> None:
    checked = 0
    for path, op in operations(spec):
        example = op["responses"]["200"]["content"]["application/json"].get("example")
        if path.endswith("/annotations"):  # the first few annotations of the first article
            assert example is not None, path
            first = (await client.get("/v1/articles?sort=id&limit=1")).json()["data"][0]["id"]
            live = (await client.get(path.replace("{article_id}", first))).json()
            assert example["data"] == live["data"][: len(example["data"])]
            checked += 1
        elif "{" in path:
            assert example is not None, path
            live = (await client.get(path.split("{")[0] + str(example["id"]))).json()
            assert example == live, path
            checked += 1
        elif path.count("/") == 2 and path != "/v1/search":
            assert example is not None, path
            first = (await client.get(f"{path}?sort=id&limit=1")).json()["data"]
            assert example["data"] == first, path
            checked += 1
    assert checked == 13
