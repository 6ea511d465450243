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
        *(f"/v1/{name}" for name in ("articles", "entities", "quotes", "pledges", "events")),
        *(
            f"/v1/{name}/{{{single}_id}}"
            for name, single in (
                ("articles", "article"),
                ("entities", "entity"),
                ("quotes", "quote"),
                ("pledges", "pledge"),
                ("events", "event"),
            )
        ),
    }
    for path, op in operations(spec):
        assert op["description"], path
        assert op["operationId"].startswith(op["tags"][0] + "-"), path


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
        resource_path = path.startswith("/v1/") and path != "/v1/search"
        is_list = resource_path and path.count("/") == 2
        if path.startswith("/v1"):
            expected = {"ETag", "Cache-Control", "Vary", "X-Request-ID"} | (
                {"Link", "X-Total-Count"} if is_list else set()
            )
            assert set(responses["200"]["headers"]) == expected, path
        assert ("406" in responses) == resource_path, path
        if resource_path:
            assert set(responses["200"]["content"]) == {"application/json", "text/csv", "application/x-ndjson"}


async def test_parameter_examples_come_from_the_real_data(spec: dict[str, Any], client: httpx.AsyncClient) -> None:
    """Running each documented example returns something: no example points at data that does not exist."""
    checked = 0
    for path, op in operations(spec):
        required = {
            p["name"]: p["schema"]["examples"][0]
            for p in op.get("parameters", [])
            if p["required"] and p["in"] == "query"
        }
        # A query parameter of an item is tried on the item of the path's own example.
        real = path
        for parameter in op.get("parameters", []):
            if parameter["in"] == "path":
                real = real.replace("{" + parameter["name"] + "}", parameter["schema"]["examples"][0])
        for parameter in op.get("parameters", []):
            for example in parameter["schema"].get("examples", []):
                if parameter["in"] == "path":
                    url, params = path.replace("{" + parameter["name"] + "}", example), {}
                else:
                    url, params = real, {**required, parameter["name"]: example}
                response = await client.get(url, params=params)
                assert response.status_code == 200, f"{path} {parameter['name']}={example}"
                if response.headers["content-type"].startswith("text/csv"):
                    body = {"data": response.text.splitlines()[1:]}
                else:
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
        if "{" in path:
            assert example is not None, path
            live = (await client.get(path.split("{")[0] + example["id"])).json()
            assert example == live, path
            checked += 1
        elif path.count("/") == 2 and path != "/v1/search":
            assert example is not None, path
            first = (await client.get(f"{path}?sort=id&limit=1")).json()["data"]
            assert example["data"] == first, path
            checked += 1
    assert checked == 10
