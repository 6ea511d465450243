"""The OpenAPI document: builds, is 3.1, documents every parameter and field, and its examples are real."""

import re
from re._constants import MAXREPEAT  # type: ignore[import-not-found]
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from app.resources import RESOURCES
from app.settings import get_settings

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
        "/v1/export/datapackage.zip",
        "/v1/export/article-facts.sqlite3",
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
        # The lists and items of the resources come in three formats (their 406 lists them); search and the
        # annotations are JSON (the annotations also JSON-LD, by Accept).
        # The downloads are files of one media type each.
        download = path.startswith("/v1/export/")
        resource_path = (
            path.startswith("/v1/") and path != "/v1/search" and not path.endswith("/annotations") and not download
        )
        is_list = resource_path and path.count("/") == 2
        if path.startswith("/v1"):
            expected = {"ETag", "Cache-Control", "Vary", "X-Request-ID"} | (
                {"Link", "X-Total-Count"} if is_list else set()
            )
            if download:
                expected |= {"Content-Disposition", "Content-Length"}
            assert set(responses["200"]["headers"]) == expected, path
        if download:
            media_type = "application/zip" if path.endswith(".zip") else "application/vnd.sqlite3"
            assert set(responses["200"]["content"]) == {media_type}, path
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
        example = op["responses"]["200"]["content"].get("application/json", {}).get("example")
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
    assert checked == 2 * len(RESOURCES) + 1  # each list and its detail, and the annotations


# --- The longest request the document allows fits in the server's URL limit --------------------------------
# Schemathesis (and any client) may send every parameter at its longest, in the worst characters; the server
# must not then refuse a valid request with a 414. Each value's cost is counted as the client sends it:
# percent-encoded UTF-8, so up to 12 bytes a character (a 4-byte character), 1 for an unreserved ASCII one.

WIDEST = 12  # "%F0%9F%98%80"


def _char_cost(code: int) -> int:
    return len(quote(chr(code), safe=""))


def _pattern_char_cost(pattern: str) -> int:
    """The widest character ``pattern`` can match, encoded: what each of its characters may cost at most."""
    widest = 0

    def walk(items: Any) -> None:
        nonlocal widest
        for op, arg in items:
            name = str(op)
            if name == "LITERAL":
                widest = max(widest, _char_cost(arg))
            elif name == "IN":
                for item_op, item_arg in arg:
                    kind = str(item_op)
                    if kind == "LITERAL":
                        widest = max(widest, _char_cost(item_arg))
                    elif kind == "RANGE":
                        low, high = item_arg
                        widest = max(widest, max(_char_cost(c) for c in range(low, min(high, 0x7F) + 1)))
                        widest = max(widest, WIDEST if high > 0x7F else 0)
                    else:  # a category (\s, \d...) or a negation: any script
                        widest = WIDEST
            elif name in ("ANY", "NOT_LITERAL", "CATEGORY"):
                widest = WIDEST
            elif name in ("MAX_REPEAT", "MIN_REPEAT"):
                walk(arg[2])
            elif name == "SUBPATTERN":
                walk(arg[3])
            elif name == "BRANCH":
                for branch in arg[1]:
                    walk(branch)
            elif name in ("ASSERT", "ASSERT_NOT", "AT", "GROUPREF"):
                continue  # match no characters of their own
            else:
                raise AssertionError(f"unexpected regex construct {name} in {pattern!r}")

    walk(re._parser.parse(pattern))  # type: ignore[attr-defined]
    return widest


def _longest_value(schema: dict[str, Any]) -> int:
    """The most bytes one value of ``schema`` takes in a query string; fails for an unbounded one."""
    if "anyOf" in schema:
        return max(_longest_value(branch) for branch in schema["anyOf"])
    kind = schema.get("type")
    if "enum" in schema:
        return max(len(quote(str(value), safe="")) for value in schema["enum"])
    if kind == "null":
        return 0
    if kind == "boolean":
        return len("false")
    if kind == "integer":
        return max(len(str(schema["minimum"])), len(str(schema["maximum"])))
    if kind == "number":
        assert "minimum" in schema and "maximum" in schema, schema
        return len("-1.2345678901234567e-308")  # the longest repr of a float
    if kind == "string" and schema.get("format") == "date":
        return len("2023-02-28")
    assert kind == "string", schema
    pattern = schema.get("pattern")
    widths = [schema.get("maxLength", MAXREPEAT), re._parser.parse(pattern).getwidth()[1] if pattern else MAXREPEAT]  # type: ignore[attr-defined]
    assert min(widths) < MAXREPEAT, f"an unbounded value: {schema}"
    return min(widths) * (_pattern_char_cost(pattern) if pattern else WIDEST)


def _longest_url(path: str, operation: dict[str, Any]) -> int:
    length = len(path)
    query = 0
    for parameter in operation.get("parameters", []):
        schema, name = parameter["schema"], parameter["name"]
        if parameter["in"] == "path":
            length += _longest_value(schema) - len("{" + name + "}")
            continue
        arrays = [branch for branch in schema.get("anyOf", [schema]) if branch.get("type") == "array"]
        if arrays:  # sent as name=a&name=b...
            (array,) = arrays
            query += array["maxItems"] * (len(name) + 2 + _longest_value(array["items"]))
        else:
            query += len(name) + 2 + _longest_value(schema)
    return length + query  # each "name=value&", the first "&" standing for the "?"


def _inlined(node: Any, spec: dict[str, Any]) -> Any:
    """``node`` with every ``$ref`` to a component replaced by the component itself."""
    if isinstance(node, dict):
        if set(node) == {"$ref"}:
            return _inlined(spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]], spec)
        return {key: _inlined(value, spec) for key, value in node.items()}
    if isinstance(node, list):
        return [_inlined(item, spec) for item in node]
    return node


async def test_the_longest_valid_request_fits_in_the_url_limit(spec: dict[str, Any]) -> None:
    limit = get_settings().max_url_bytes
    longest = {f"GET {path}": _longest_url(path, _inlined(op, spec)) for path, op in operations(spec)}
    assert max(longest.values()) <= limit, longest
    # and the count is not vacuous: a list with its cursor, q and filters at their longest is kilobytes long
    assert longest["GET /v1/quotes"] > 4096, longest


def test_the_url_cost_of_a_pattern() -> None:
    assert _pattern_char_cost(r"^[a-z0-9]+(?:-[a-z0-9]+)*$") == 1
    assert _pattern_char_cost(r"^[A-Z]{2}$") == 1
    assert _pattern_char_cost(r"^a b$") == 3
    assert _pattern_char_cost(r"^\s*x$") == WIDEST
    assert _pattern_char_cost(r"^[^,]+$") == WIDEST
