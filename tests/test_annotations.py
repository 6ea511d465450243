"""Facts in their context: an article's annotations in one call, mentions as a resource, UTF-16 offsets.

The UTF-16 tests run on a fixture of their own (``tests/fixtures/astral``): an article with emoji and a
mathematical letter, characters outside the Basic Multilingual Plane that are one code point but two UTF-16
code units, so every offset after them differs between the two.
"""

from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.annotate import WebAnnotationCollection
from app.backend import Target
from app.loader import load
from app.main import create_app
from tests.conftest import ARTICLE_ID, asgi_client

pytestmark = pytest.mark.anyio

ASTRAL = Path(__file__).parent / "fixtures" / "astral"
ASTRAL_ARTICLE = "astral-emoji"
FACT_LISTS = ("articles", "quotes", "pledges", "events")  # the lists whose items carry `evidence`


@pytest.fixture(scope="module")
def astral_app(new_database: Callable[[], Target]) -> FastAPI:
    target = new_database()
    load(ASTRAL, target)
    return create_app(target)


@pytest.fixture
async def astral(astral_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(astral_app) as client:
        yield client


async def all_items(client: httpx.AsyncClient, url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        body = (await client.get(next_url)).json()
        items += body["data"]
        next_url = body["next_url"]
    return items


async def every_span(client: httpx.AsyncClient, article_id: str) -> list[dict[str, Any]]:
    """Every span the API serves for the article: each list's evidence, the mentions and the annotations."""
    spans = []
    for name in FACT_LISTS:
        for item in await all_items(client, f"/v1/{name}?article={article_id}&limit=200"):
            spans += item["evidence"]
    spans += await all_items(client, f"/v1/mentions?article={article_id}&limit=200")
    spans += (await client.get(f"/v1/articles/{article_id}/annotations")).json()["data"]
    return spans


async def test_utf16_offsets_slice_every_span_as_javascript_would(astral: httpx.AsyncClient) -> None:
    text = (await astral.get(f"/v1/articles/{ASTRAL_ARTICLE}")).json()["text"]
    assert any(ord(char) > 0xFFFF for char in text)
    utf16 = text.encode("utf-16-le")
    spans = await every_span(astral, ASTRAL_ARTICLE)
    for span in spans:
        assert text[span["start"] : span["end"]] == span["text"], span
        sliced = utf16[2 * span["start_utf16"] : 2 * span["end_utf16"]].decode("utf-16-le")
        assert sliced == span["text"], span
    shifted = [span for span in spans if span["start_utf16"] != span["start"]]
    assert len(shifted) > len(spans) // 2  # most spans come after an emoji: the two offsets really differ
    assert any(ord(char) > 0xFFFF for span in spans for char in span["text"])  # and some contain one


async def test_in_a_text_without_astral_characters_both_offsets_are_equal(client: httpx.AsyncClient) -> None:
    spans = await every_span(client, ARTICLE_ID)
    assert spans
    assert all((s["start"], s["end"]) == (s["start_utf16"], s["end_utf16"]) for s in spans)


def key(fact_type: str, fact_id: str, role: str, span: dict[str, Any]) -> tuple[Any, ...]:
    return (fact_type, fact_id, role, span["start"], span["end"], span["text"])


async def test_annotations_are_every_evidence_span_and_mention_exactly_once(client: httpx.AsyncClient) -> None:
    expected: Counter[tuple[Any, ...]] = Counter()
    for name, kind in zip(FACT_LISTS, ("article", "quote", "pledge", "event"), strict=True):
        for item in await all_items(client, f"/v1/{name}?article={ARTICLE_ID}&limit=200"):
            expected.update(key(kind, item["id"], span["role"], span) for span in item["evidence"])
    mentions = await all_items(client, f"/v1/mentions?article={ARTICLE_ID}&limit=200")
    expected.update(key("entity", m["entity"]["id"], "mention", m) for m in mentions)

    annotations = (await client.get(f"/v1/articles/{ARTICLE_ID}/annotations")).json()
    got = Counter(key(a["type"], a["id"], a["role"], a) for a in annotations["data"])
    assert got == expected
    assert max(got.values()) == 1
    assert len(mentions) == 106  # the README's count of the seed article's mentions
    assert annotations["next_cursor"] is None


async def test_annotations_are_in_reading_order_with_their_fact(client: httpx.AsyncClient) -> None:
    data = (await client.get(f"/v1/articles/{ARTICLE_ID}/annotations")).json()["data"]
    assert [(a["start"], -a["end"]) for a in data] == sorted((a["start"], -a["end"]) for a in data)
    for a in data:
        assert a["url"] == f"/v1/{ {'entity': 'entities'}.get(a['type'], a['type'] + 's') }/{a['id']}"
        assert a["label"]
        assert (a["entity"] is not None) == (a["role"] == "mention")
    quote = next(a for a in data if a["type"] == "quote" and a["role"] == "text")
    words = " ".join((await client.get(quote["url"])).json()["text"].split())  # a label folds whitespace
    assert words.startswith(quote["label"].removesuffix("…"))


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("type=quote", lambda a: a["type"] == "quote"),
        ("type=pledge,event", lambda a: a["type"] in ("pledge", "event")),
        ("role=mention", lambda a: a["role"] == "mention"),
        ("role=text&type=quote", lambda a: a["role"] == "text" and a["type"] == "quote"),
        (
            "entity=antony-blinken",
            lambda a: a["entity"] == {"id": "antony-blinken", "name": "Antony Blinken", "type": "person"},
        ),
    ],
)
async def test_annotation_filters(client: httpx.AsyncClient, query: str, check: Callable[[Any], bool]) -> None:
    everything = (await client.get(f"/v1/articles/{ARTICLE_ID}/annotations")).json()["data"]
    filtered = (await client.get(f"/v1/articles/{ARTICLE_ID}/annotations?{query}")).json()["data"]
    assert filtered == [a for a in everything if check(a)]
    assert 0 < len(filtered) < len(everything)


async def test_a_filter_that_matches_nothing_is_an_empty_page(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/articles/{ARTICLE_ID}/annotations?entity=japan")  # not in this article
    assert response.status_code == 200
    assert response.json() == {"data": [], "next_cursor": None, "next_url": None}


async def test_an_entity_that_does_not_exist_is_refused_with_the_closest(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/v1/articles/{ARTICLE_ID}/annotations?entity=blinken")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"parameter": "entity", "detail": "there is no entity `blinken`; did you mean `antony-blinken`?"}
    ]


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/v1/articles/no-such-article/annotations", 404, None),
        ("/v1/articles/NOT%20A%20SLUG/annotations", 400, "article_id"),  # not an id: the 400 a filter gives
        (f"/v1/articles/{ARTICLE_ID}/annotations?role=speaker", 400, "role"),
        (f"/v1/articles/{ARTICLE_ID}/annotations?type=mention", 400, "type"),
        (f"/v1/articles/{ARTICLE_ID}/annotations?entity=Bad%20Id", 400, "entity"),
        (f"/v1/articles/{ARTICLE_ID}/annotations?limit=5", 400, "limit"),
    ],
)
async def test_annotation_errors(client: httpx.AsyncClient, url: str, status: int, parameter: str | None) -> None:
    response = await client.get(url)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    if parameter:
        assert [e["parameter"] for e in response.json()["errors"]] == [parameter]


async def test_annotations_are_one_statement(client: httpx.AsyncClient, sql_statements: list[str]) -> None:
    for query in ("", "?type=quote,entity&role=text,mention", "?entity=antony-blinken"):
        sql_statements.clear()
        assert (await client.get(f"/v1/articles/{ARTICLE_ID}/annotations{query}")).status_code == 200
        assert len(sql_statements) == 1, sql_statements


async def test_web_annotations_for_annotation_tools(client: httpx.AsyncClient) -> None:
    text = (await client.get(f"/v1/articles/{ARTICLE_ID}")).json()["text"]
    plain = await client.get(f"/v1/articles/{ARTICLE_ID}/annotations?type=quote")
    web = await client.get(
        f"/v1/articles/{ARTICLE_ID}/annotations?type=quote", headers={"Accept": "application/ld+json"}
    )
    assert web.headers["content-type"] == "application/ld+json"
    assert "Accept" in web.headers["vary"]
    assert web.headers["etag"] != plain.headers["etag"]  # two representations, two validators
    body = web.json()
    WebAnnotationCollection.model_validate(body)  # built on request: exactly the shape the document declares
    assert body["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert body["type"] == "AnnotationCollection"
    items = body["first"]["items"]
    assert body["total"] == len(items) == len(plain.json()["data"]) > 0
    for item, annotation in zip(items, plain.json()["data"], strict=True):
        quote_selector, position = item["target"]["selector"]
        start, end = position["start"], position["end"]
        assert (start, end) == (annotation["start"], annotation["end"])
        assert quote_selector["exact"] == text[start:end]
        assert text[:start].endswith(quote_selector["prefix"]) and text[end:].startswith(quote_selector["suffix"])
        assert item["body"]["source"] == annotation["url"]
        assert item["target"]["source"] == f"/v1/articles/{ARTICLE_ID}"


@pytest.mark.parametrize(
    ("accept", "web"),
    [
        ("application/ld+json", True),
        ('application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"', True),
        ("application/json, application/ld+json;q=0.5", False),
        ("application/ld+json;q=0", False),
        ("*/*", False),
        ("text/html", False),
    ],
)
async def test_content_negotiation(client: httpx.AsyncClient, accept: str, web: bool) -> None:
    response = await client.get(f"/v1/articles/{ARTICLE_ID}/annotations?role=title", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == ("application/ld+json" if web else "application/json")


async def test_mentions_list_detail_and_the_entity_detail_agree(client: httpx.AsyncClient) -> None:
    entity = (await client.get("/v1/entities/antony-blinken")).json()
    assert entity["links"]["mentions"] == "/v1/mentions?entity=antony-blinken"
    listed = await all_items(client, entity["links"]["mentions"] + "&limit=3")
    assert listed == entity["mentions"]
    assert len(listed) == entity["counts"]["mentions"] > 3
    assert all(m["entity"]["id"] == "antony-blinken" for m in listed)
    assert [m["start"] for m in listed] == sorted(m["start"] for m in listed)  # reading order in one article
    assert (await client.get(listed[1]["url"])).json() == listed[1]


@pytest.mark.parametrize("mention_id", ["0", "999999", "99999999999999999999", "one"])
async def test_no_such_mention(client: httpx.AsyncClient, mention_id: str) -> None:
    response = await client.get(f"/v1/mentions/{mention_id}")
    assert response.status_code == 404
    assert response.json()["detail"] == f"There is no mention {mention_id!r}."


@pytest.mark.parametrize("mention_id", ["-1", "1.0"])
async def test_a_mention_id_that_is_not_a_slug_is_refused(client: httpx.AsyncClient, mention_id: str) -> None:
    """Like any id in a path: the document says a path id is a slug, so anything else is a 400, as in a filter."""
    response = await client.get(f"/v1/mentions/{mention_id}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["parameter"] == "mention_id"
