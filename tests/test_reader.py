"""The reader pages, as served (no browser): every highlight is its span, with JavaScript or without."""

import html
import json
import re
from typing import Any

import httpx
import pytest

from tests.conftest import ARTICLE_ID

pytestmark = pytest.mark.anyio

# A highlighted piece: a link to its innermost fact's card, or a plain span where it is only white space (a link
# must have a name).
SEGMENT = re.compile(
    r'<(?:a|span) class="hl([^"]*)"(?: href="#([^"]+)")? data-f="([^"]*)" data-a="([^"]*)">(.*?)</', re.S
)


def highlighted(page: str) -> dict[int, str]:
    """annotation index -> the text of the highlighted pieces that carry it, in order."""
    texts: dict[int, str] = {}
    for _classes, _target, _facts, indexes, text in SEGMENT.findall(page):
        for index in indexes.split():
            texts[int(index)] = texts.get(int(index), "") + html.unescape(text)
    return texts


async def test_every_highlight_is_its_span(client: httpx.AsyncClient) -> None:
    page = (await client.get(f"/articles/{ARTICLE_ID}")).text
    annotations = (await client.get(f"/v1/articles/{ARTICLE_ID}/annotations")).json()["data"]
    shown = {i: a["text"] for i, a in enumerate(annotations) if a["type"] != "article"}
    assert highlighted(page) == shown
    assert {a["type"] for a in annotations if a["type"] != "article"} == {"entity", "quote", "pledge", "event"}


async def test_the_page_is_the_article_and_a_card_per_fact(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/articles/{ARTICLE_ID}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    page = response.text
    text = (await client.get(f"/v1/articles/{ARTICLE_ID}")).json()["text"]
    body = re.search(r'<div class="text" id="text">(.*?)</div>', page, re.S)
    assert body is not None
    assert html.unescape(re.sub(r"<[^>]+>", "", body[1])) == text  # the verbatim text, nothing added or lost
    for name in ("quotes", "pledges", "events"):
        for fact in (await client.get(f"/v1/{name}?article={ARTICLE_ID}&limit=200")).json()["data"]:
            anchor = f"{name[:-1]}-{fact['id']}"
            assert f'<section class="card k-{name[:-1]}" id="{anchor}"' in page
            assert f'href="#{anchor}"' in page  # some highlight leads to it
            assert f'<a href="{fact["url"]}">JSON</a>' in page
    for target in {target for _c, target, _f, _a, _t in SEGMENT.findall(page) if target}:
        assert f'id="{target}"' in page  # every highlight leads to a card


async def test_json_ld_for_crawlers(client: httpx.AsyncClient) -> None:
    page = (await client.get(f"/articles/{ARTICLE_ID}")).text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert block is not None
    data: dict[str, Any] = json.loads(block[1])
    article = (await client.get(f"/v1/articles/{ARTICLE_ID}")).json()
    entities = (await client.get(f"/v1/entities?article={ARTICLE_ID}&limit=200")).json()["data"]
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == article["title"]
    assert data["datePublished"] == article["published_on"]["value"]
    assert data["publisher"] == {"@type": "Organization", "name": article["publisher"]["name"]}
    assert sorted(m["name"] for m in data["mentions"]) == sorted(e["name"] for e in entities)


async def test_the_list_of_articles(client: httpx.AsyncClient) -> None:
    response = await client.get("/articles")
    assert response.status_code == 200
    assert f'<a href="/articles/{ARTICLE_ID}">' in response.text


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/articles/no-such-article", 404),
        ("/articles/%27%20OR%201%3D1--", 404),
        (f"/articles/{ARTICLE_ID}?x=1", 400),
        ("/articles?limit=5", 400),
        ("/articles?cursor=forged", 400),
        ("/reader-static/../app/main.py", 404),
        ("/reader-static/main.py", 404),
    ],
)
async def test_reader_errors(client: httpx.AsyncClient, url: str, status: int) -> None:
    response = await client.get(url)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_script_and_style_sheet_are_served(client: httpx.AsyncClient) -> None:
    for name, media_type in (("reader.js", "text/javascript"), ("reader.css", "text/css")):
        response = await client.get(f"/reader-static/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media_type)
