"""Representations: JSON, CSV and NDJSON of every list and item, `fields`, negotiation (406, `format` over
`Accept`), ETags per representation and per content coding, compression."""

import csv
import gzip
import io
from typing import Any

import anyio
import httpx
import orjson
import pytest
from fastapi import FastAPI

from app import streaming
from app.formats import Format, from_accept, split_cell
from app.resources import RESOURCES
from app.settings import get_settings

pytestmark = pytest.mark.anyio

# Each list with a filter that keeps part of it: the representations must hold the same items in the same order.
FILTERED = {
    "articles": "publisher=the-moscow-times",
    "entities": "type=person",
    "quotes": "kind=indirect",
    "pledges": "donor=united-states",
    "events": "status=occurred",
    "mentions": "entity=antony-blinken",
}
LISTS = [(resource.name, FILTERED[resource.name]) for resource in RESOURCES]
IDENTITY = {"Accept-Encoding": "identity"}


def _csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.text, newline="")))


def _ndjson(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.text.endswith("\n")
    return [orjson.loads(line) for line in response.text.splitlines()]


def _text(value: Any) -> str:
    """How the CSV writes one value (docs/api.md#formats)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _leaves(item: Any, dotted: str) -> tuple[list[Any], bool]:
    """The values at ``a.b.c`` in ``item``, and whether a list was crossed on the way (written independently of
    app.formats: the JSON is the oracle for the CSV)."""
    values, crossed = [item], False
    for key in dotted.split("."):
        step: list[Any] = []
        for value in values:
            found = None if value is None else value[key]
            if isinstance(found, list):
                crossed = True
                step.extend(found)
            else:
                step.append(found)
        values = step
    return values, crossed


def _assert_row_matches(row: dict[str, str], item: dict[str, Any]) -> None:
    assert {name.split(".")[0] for name in row} == set(item), "every field of the item has its columns"
    for column, cell in row.items():
        values, crossed = _leaves(item, column)
        if crossed:
            assert split_cell(cell) == [_text(v) for v in values], column
        else:
            assert cell == _text(values[0]), column


@pytest.mark.parametrize(("name", "query"), LISTS)
async def test_each_format_of_a_list_has_the_same_items_in_the_same_order(
    client: httpx.AsyncClient, name: str, query: str
) -> None:
    page = (await client.get(f"/v1/{name}?{query}&limit=200&count=true")).json()
    items = page["data"]
    assert 0 < len(items) == page["total"]
    as_csv = await client.get(f"/v1/{name}?{query}&limit=200&count=true&format=csv")
    rows = _csv(as_csv)
    assert [row["id"] for row in rows] == [str(item["id"]) for item in items]
    for row, item in zip(rows, items, strict=True):
        _assert_row_matches(row, item)
    assert as_csv.headers["x-total-count"] == str(page["total"])
    as_ndjson = await client.get(f"/v1/{name}?{query}&limit=200", headers={"Accept": "application/x-ndjson"})
    assert _ndjson(as_ndjson) == items


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda resource: resource.name)
async def test_each_format_of_an_item(client: httpx.AsyncClient, resource: Any) -> None:
    first = (await client.get(f"/v1/{resource.name}?limit=1")).json()["data"][0]
    url = resource.url(first["id"])
    item = (await client.get(url)).json()
    [row] = _csv(await client.get(url, headers={"Accept": "text/csv"}))
    _assert_row_matches(row, item)
    assert _ndjson(await client.get(f"{url}?format=ndjson")) == [item]


async def test_pages_of_csv_link_to_the_next_page(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    url: str | None = "/v1/quotes?limit=5&format=csv"
    while url:
        response = await client.get(url)
        seen += [row["id"] for row in _csv(response)]
        url = response.links.get("next", {}).get("url")
    everything = (await client.get("/v1/quotes?limit=200")).json()["data"]
    assert seen == [item["id"] for item in everything]


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, Format.json),
        ("*/*", Format.json),
        ("application/*", Format.json),
        ("text/csv", Format.csv),
        ("text/csv; charset=utf-8", Format.csv),
        ("text/*", Format.csv),
        ("application/x-ndjson", Format.ndjson),
        ("text/csv;q=0.9, application/json;q=0.5", Format.csv),
        ("application/json;q=0.5, application/x-ndjson", Format.ndjson),
        ("application/json;q=0, */*;q=0.1", Format.csv),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", Format.json),  # a browser
        ("application/ld+json", None),
        ("text/html", None),
        ("application/json;q=0", None),
        ("not a media type", Format.json),  # unparseable: ignored
    ],
)
def test_accept_selects_a_representation(accept: str | None, chosen: Format | None) -> None:
    assert from_accept(accept) is chosen


@pytest.mark.parametrize("url", ["/v1/quotes", "/v1/quotes/diplomat-tread-very-carefully"])
async def test_nothing_acceptable_is_a_406_naming_what_is(client: httpx.AsyncClient, url: str) -> None:
    response = await client.get(url, headers={"Accept": "application/ld+json"})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Acceptable",
        "status": 406,
        "detail": "None of the types in Accept is available here; ask for one of: application/json, text/csv, "
        "application/x-ndjson (or give format=json|csv|ndjson).",
    }


@pytest.mark.parametrize(("fmt", "media_type"), [("csv", "text/csv; charset=utf-8"), ("json", "application/json")])
async def test_format_wins_over_accept(client: httpx.AsyncClient, fmt: str, media_type: str) -> None:
    response = await client.get(f"/v1/quotes?format={fmt}", headers={"Accept": "application/ld+json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda resource: resource.name)
async def test_fields_keeps_those_fields_in_every_format(client: httpx.AsyncClient, resource: Any) -> None:
    url = f"/v1/{resource.name}?limit=3&fields=url,id"
    full = (await client.get(f"/v1/{resource.name}?limit=3")).json()["data"]
    expected = [{"id": item["id"], "url": item["url"]} for item in full]
    data = (await client.get(url)).json()["data"]
    assert data == expected
    assert [list(item) for item in data] == [["id", "url"]] * len(data)  # the model's order
    assert _ndjson(await client.get(f"{url}&format=ndjson")) == expected
    as_text = [{key: str(value) for key, value in item.items()} for item in expected]  # CSV cells are text
    assert _csv(await client.get(f"{url}&format=csv")) == as_text
    detail = resource.url(full[0]["id"])
    assert (await client.get(f"{detail}?fields=id")).json() == {"id": full[0]["id"]}


async def test_fields_of_a_detail_include_what_the_detail_adds(client: httpx.AsyncClient) -> None:
    article = (await client.get("/v1/articles?limit=1")).json()["data"][0]
    body = (await client.get(f"/v1/articles/{article['id']}?fields=text")).json()
    assert list(body) == ["text"]
    listed = await client.get("/v1/articles?fields=text")
    assert listed.status_code == 400  # a list item has no text


async def test_an_unknown_field_is_a_400_listing_the_valid_ones(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/pledges?fields=id,amount.amount")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "parameter": "fields",
            "detail": "Input should be 'id', 'article', 'donor', 'announced_by', 'recipients', 'amount', 'purpose', "
            "'initiatives', 'status', 'announced_on', 'evidence' or 'url'",
        }
    ]


REPRESENTATIONS = [
    ("", {}),
    ("", {"Accept": "text/csv"}),
    ("", {"Accept": "application/x-ndjson"}),
    ("&format=csv", {}),
    ("&format=ndjson", {}),
    ("&fields=id", {}),
]


async def test_each_representation_has_its_own_etag_and_revalidates(client: httpx.AsyncClient) -> None:
    tags = set()
    for suffix, headers in REPRESENTATIONS:
        url = f"/v1/quotes?kind=direct{suffix}"
        first = await client.get(url, headers={**headers, **IDENTITY})
        assert first.status_code == 200
        assert {"Accept", "Accept-Encoding"} <= {name.strip() for name in first.headers["vary"].split(",")}
        tag = first.headers["etag"]
        tags.add(tag)
        head = await client.head(url, headers={**headers, **IDENTITY})
        assert (head.status_code, head.headers["etag"], head.content) == (200, tag, b"")
        assert head.headers["content-type"] == first.headers["content-type"]
        again = await client.get(url, headers={**headers, **IDENTITY, "If-None-Match": tag})
        assert (again.status_code, again.headers["etag"], again.content) == (304, tag, b"")
    assert len(tags) == len(REPRESENTATIONS)


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
async def test_compression_by_accept_encoding_with_an_etag_per_coding(client: httpx.AsyncClient, coding: str) -> None:
    url = "/v1/quotes?limit=50"
    plain = await client.get(url, headers=IDENTITY)
    assert "content-encoding" not in plain.headers
    encoded = await client.get(url, headers={"Accept-Encoding": coding})
    assert encoded.headers["content-encoding"] == coding
    assert int(encoded.headers["content-length"]) < len(plain.content) / 3
    assert encoded.content == plain.content  # httpx decoded it
    assert encoded.headers["etag"] == plain.headers["etag"][:-1] + f'-{coding}"'
    assert "Accept-Encoding" in encoded.headers["vary"]
    again = await client.get(url, headers={"Accept-Encoding": coding, "If-None-Match": encoded.headers["etag"]})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", encoded.headers["etag"])
    head = await client.head(url, headers={"Accept-Encoding": coding})
    assert head.headers["content-length"] == encoded.headers["content-length"]
    assert head.headers["etag"] == encoded.headers["etag"]


async def test_small_bodies_are_not_compressed(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/quotes?limit=1&fields=id", headers={"Accept-Encoding": "gzip"})
    assert len(response.content) < 500
    assert "content-encoding" not in response.headers
    assert not response.headers["etag"].endswith('-gzip"')


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
async def test_csv_and_ndjson_are_compressed_too(client: httpx.AsyncClient, fmt: str) -> None:
    url = f"/v1/quotes?format={fmt}"
    plain = await client.get(url, headers=IDENTITY)
    async with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.headers["content-encoding"] == "gzip"
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    assert gzip.decompress(raw) == plain.content


# --- Streamed exports ------------------------------------------------------------------------------------------


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> int:
    """Batches of 4 items, so the seeds' short lists take several."""
    monkeypatch.setattr(streaming, "BATCH", 4)
    return 4


@pytest.mark.parametrize(("name", "query"), [*LISTS, *((name, "sort=-id") for name in FILTERED)])
async def test_a_stream_holds_every_item_in_the_list_order(
    client: httpx.AsyncClient, small_batches: int, name: str, query: str
) -> None:
    items = (await client.get(f"/v1/{name}?{query}&limit=200")).json()["data"]
    ndjson = await client.get(f"/v1/{name}?{query}&format=ndjson&stream=true&count=true&limit=1")
    assert _ndjson(ndjson) == items
    assert int(ndjson.headers["x-total-count"]) == len(items)
    rows = _csv(await client.get(f"/v1/{name}?{query}&format=csv&stream=true"))
    assert [row["id"] for row in rows] == [str(item["id"]) for item in items]


async def test_a_stream_is_one_statement_a_batch(
    client: httpx.AsyncClient, small_batches: int, sql_statements: list[str]
) -> None:
    total = len((await client.get("/v1/quotes?limit=200")).json()["data"])
    sql_statements.clear()
    response = await client.get("/v1/quotes?format=ndjson&stream=true")
    assert len(_ndjson(response)) == total
    assert len(sql_statements) == -(-(total + 1) // small_batches)  # the last batch finds the end


async def test_a_stream_stops_at_the_row_cap(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "export_max_rows", 3)
    response = await client.get("/v1/quotes?format=csv&stream=true")
    assert response.headers["x-row-cap"] == "3"
    assert len(_csv(response)) == 3


async def test_a_json_stream_is_one_page_of_everything(client: httpx.AsyncClient, small_batches: int) -> None:
    page = (await client.get("/v1/quotes?limit=200&count=true&fields=id,text")).json()
    streamed = await client.get("/v1/quotes?stream=true&count=true&fields=id,text")
    assert streamed.headers["content-type"] == "application/json"
    assert streamed.json() == page
    empty = await client.get("/v1/quotes?stream=true&speaker=united-kingdom")  # an entity that said nothing
    assert empty.json() == {"data": [], "next_cursor": None, "next_url": None}


async def test_a_client_that_goes_away_stops_the_export(
    app: FastAPI, small_batches: int, sql_statements: list[str]
) -> None:
    """The client disconnects once the first body chunk is sent: no batch is read after that."""
    gone = anyio.Event()
    sent: list[bytes] = []

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            sent.append(message["body"])
            gone.set()
            await anyio.sleep(0.05)  # the disconnect is noticed while the client "reads"

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/quotes",
        "raw_path": b"/v1/quotes",
        "query_string": b"format=ndjson&stream=true",
        "headers": [(b"host", b"testserver"), (b"accept-encoding", b"identity")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "root_path": "",
    }
    await app(scope, receive, send)
    total = len(await _all_quotes(app))
    assert len(sent) == 1
    assert len(sql_statements) < -(-(total + 1) // small_batches)


async def _all_quotes(app: FastAPI) -> list[Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return list((await client.get("/v1/quotes?limit=200")).json()["data"])
