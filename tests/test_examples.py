"""The JSON examples of README.md and docs/*.md are what the API returns.

Each fenced ``json`` block follows a comment naming its request and, optionally, the part of the response it
shows: ``<!-- example: GET /v1/events/some-id #/date -->``. ``"..."`` elides (docs/api.md, "Shapes"): as a value,
any value; as a member ``"...": "..."``, the object's other members; as an array's last item, further items.
A JSON object written inline (in backticks) has no request to check it against, so it is refused: write it as a
marked block.
"""

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_docs import DOC_FILES

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
ELIDED = "..."
MARKER = re.compile(r"<!-- example: GET (\S+)(?: #(\S+))? -->")
BLOCK = re.compile(r"^([ \t]*)```json\n(.*?)^\1```", re.MULTILINE | re.DOTALL)


def _examples() -> list[tuple[str, str, str, Any]]:
    """(where, url, JSON pointer, the example) for every json block of the pages."""
    found = []
    for page in DOC_FILES:
        text = page.read_text(encoding="utf-8")
        for block in BLOCK.finditer(text):
            line = text[: block.start()].count("\n") + 1
            where = f"{page.relative_to(ROOT)}:{line}"
            before = text[: block.start()].rstrip().rsplit("\n", 1)[-1]
            marker = MARKER.search(before)
            assert marker, f"{where}: a json block without `<!-- example: GET /v1/... -->` on the line before"
            found.append((where, marker.group(1), marker.group(2) or "", json.loads(block.group(2))))
    return found


EXAMPLES = _examples()


def _at(document: Any, pointer: str) -> Any:
    for part in pointer.lstrip("/").split("/") if pointer else []:
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


def differences(example: Any, actual: Any, path: str = "") -> list[str]:
    """Where ``example`` (with its elisions) differs from ``actual``; empty when it matches."""
    if example == ELIDED:
        return []
    if isinstance(example, dict) and isinstance(actual, dict):
        found = [f"{path}/{key}: in the example, not in the response" for key in example.keys() - actual.keys()]
        found += [f"{path}/{key}: missing from the example" for key in actual.keys() - example.keys()]
        if example.get(ELIDED) == ELIDED:
            found = [line for line in found if not line.endswith("missing from the example")]
            found = [line for line in found if not line.startswith(f"{path}/{ELIDED}:")]
        for key in example.keys() & actual.keys():
            found += differences(example[key], actual[key], f"{path}/{key}")
        return found
    if isinstance(example, list) and isinstance(actual, list):
        more = bool(example) and example[-1] == ELIDED  # further items elided
        items = example[:-1] if more else example
        if len(items) > len(actual) or (not more and len(items) != len(actual)):
            return [f"{path}: {len(items)} items in the example, {len(actual)} in the response"]
        return [line for i, item in enumerate(items) for line in differences(item, actual[i], f"{path}/{i}")]
    return [] if example == actual and type(example) is type(actual) else [f"{path}: {example!r} != {actual!r}"]


def test_the_pages_have_examples() -> None:
    assert len(EXAMPLES) >= 3, EXAMPLES


@pytest.mark.parametrize(("where", "url", "pointer", "example"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
async def test_an_example_is_what_the_api_returns(
    client: httpx.AsyncClient, where: str, url: str, pointer: str, example: Any
) -> None:
    response = await client.get(url)
    # A problem document shown whole is an example of that error: its status is the response's.
    problem = not pointer and isinstance(example, dict) and example.get("type") == "about:blank"
    assert response.status_code == (example["status"] if problem else 200), (where, url)
    assert differences(example, _at(response.json(), pointer)) == [], where


@pytest.mark.parametrize("page", DOC_FILES, ids=lambda page: page.name)
def test_no_unchecked_inline_json(page: Path) -> None:
    for span in re.findall(r"`(\{[^`]*\})`", page.read_text(encoding="utf-8")):
        try:
            value = json.loads(span)
        except ValueError:
            continue  # a shape such as {"id", "name", "type"}, not an example
        assert not value, f"{page.name}: the inline example {span} cannot be checked; make it a marked json block"


@pytest.mark.parametrize(
    ("example", "actual", "found"),
    [
        ({"a": 1, "...": "..."}, {"a": 1, "b": 2}, []),
        ({"a": 1}, {"a": 1, "b": 2}, ["/b: missing from the example"]),
        ({"a": "..."}, {"a": [1]}, []),
        ({"a": 2}, {"a": 1}, ["/a: 2 != 1"]),
        ({"a": 1.0}, {"a": 1}, ["/a: 1.0 != 1"]),
        ([1, "..."], [1, 2, 3], []),
        ([1], [1, 2], [": 1 items in the example, 2 in the response"]),
        ([{"x": 1}], [{"x": 2}], ["/0/x: 1 != 2"]),
        ({"c": 1, "...": "..."}, {"a": 1}, ["/c: in the example, not in the response"]),
    ],
)
def test_elisions(example: Any, actual: Any, found: list[str]) -> None:
    assert differences(example, actual) == found
