"""Search: plain text in, ranked hits out; no input is a syntax error."""

import sqlite3
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app import fts
from app.db import Totals

pytestmark = pytest.mark.anyio


async def hits(client: httpx.AsyncClient, query: str, **params: str) -> list[dict[str, str]]:
    response = await client.get("/v1/search", params={"q": query, **params})
    assert response.status_code == 200, response.text
    data: list[dict[str, str]] = response.json()["data"]
    return data


async def test_a_name_finds_its_entity_first_among_entities(client: httpx.AsyncClient) -> None:
    found = await hits(client, "tokayev", type="entity")
    assert [h["id"] for h in found] == ["kassym-jomart-tokayev"]
    assert found[0] == {
        "type": "entity",
        "id": "kassym-jomart-tokayev",
        "label": "Kassym-Jomart Tokayev",
        "snippet": found[0]["snippet"],
        "url": "/v1/entities/kassym-jomart-tokayev",
    }
    assert "<mark>Tokayev</mark>" in found[0]["snippet"]


@pytest.mark.parametrize("query", ["Blinken", "blinken", "BLINKEN", "blink", "Blínkén"])
async def test_case_accents_and_prefix_do_not_matter(client: httpx.AsyncClient, query: str) -> None:
    assert "antony-blinken" in {h["id"] for h in await hits(client, query, type="entity")}


async def test_typographic_quotes_match_straight_ones(client: httpx.AsyncClient) -> None:
    curly = {h["id"] for h in await hits(client, "region’s reliance")}
    straight = {h["id"] for h in await hits(client, "region's reliance")}
    assert curly == straight
    assert "mt-2023-02-28-blinken-central-asia" in straight


async def test_only_the_last_word_is_a_prefix(client: httpx.AsyncClient) -> None:
    assert await hits(client, "tread caref", type="quote") == await hits(client, "tread carefully", type="quote")
    assert await hits(client, "trea carefully", type="quote") == []


async def test_type_filter(client: httpx.AsyncClient) -> None:
    found = await hits(client, "kazakhstan", type="event,quote", limit="50")
    assert {h["type"] for h in found} == {"event", "quote"}
    assert {h["type"] for h in await hits(client, "kazakhstan", limit="50")} == {
        "article",
        "entity",
        "quote",
        "pledge",  # no pledge says "Kazakhstan", one is for Kazakhstan: found by who
        "event",
    }
    assert {h["type"] for h in await hits(client, "migrant")} == {"article", "pledge"}


@pytest.mark.parametrize(
    "query",
    [
        '"AND(*',
        "' OR 1=1--",
        "NEAR(a b)",
        "kazakh*",
        "a OR b",
        "col:value",
        "^start",
        "-",
        "***",
        '"',
        "((",
        "\u0000",
    ],
)
async def test_syntax_in_the_query_is_just_text(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get("/v1/search", params={"q": query})
    assert response.status_code == 200
    for name in ("quotes", "entities", "events"):
        assert (await client.get(f"/v1/{name}", params={"q": query})).status_code == 200


async def test_snippets_are_html_safe(client: httpx.AsyncClient) -> None:
    found = await hits(client, "Blinken's trip")
    snippet = next(h["snippet"] for h in found if h["id"] == "blinken-central-asia-trip-2023")
    assert "&#x27;" in snippet and "'" not in snippet.replace("&#x27;", "")
    assert snippet.count("<mark>") == snippet.count("</mark>") > 0


async def test_results_link_to_their_resources(client: httpx.AsyncClient) -> None:
    for hit in await hits(client, "kazakhstan", limit="50"):
        response = await client.get(hit["url"])
        assert response.status_code == 200
        assert response.json()["id"] == hit["id"]


@pytest.mark.parametrize("query", ["", " ", "’", "'s"])
async def test_an_empty_type_ahead_box_gives_no_results(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get("/v1/search", params={"q": query})
    assert response.status_code == 200
    assert response.json() == {"data": [], "next_cursor": None, "next_url": None}


@pytest.mark.parametrize("query", ["Tokayev’s", "Tokayev's", "TOKAYEV'S"])
async def test_a_possessive_is_the_word_itself(client: httpx.AsyncClient, query: str) -> None:
    assert await hits(client, query) == await hits(client, "Tokayev")


async def test_a_snippet_does_not_repeat_a_name_for_its_alias(client: httpx.AsyncClient) -> None:
    (hit,) = await hits(client, "tokayev", type="entity")
    assert hit["snippet"].count("<mark>Tokayev</mark>") == 1


@pytest.mark.sqlite_only("FTS5's index order; PostgreSQL ranks every match")
async def test_a_common_word_is_ordered_by_where_it_matches_then_by_index_order(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, db_path: Path, app: FastAPI
) -> None:
    """With at least CANDIDATES matches, names and titles first, then the facts' own words, then the names of
    their people, each in index (load) order."""
    with sqlite3.connect(db_path) as connection:

        def ids(match: str) -> list[tuple[str, str]]:
            return connection.execute(
                "SELECT kind, id FROM search_index WHERE search_index MATCH ?", (match,)
            ).fetchall()

        # "blinken" has two whole-word matches or more, so the prefix is not expanded
        in_label = ids('label : ("blinken")')
        in_words = in_label + [hit for hit in ids('{label body} : ("blinken")') if hit not in in_label]
        expected = in_words + [hit for hit in ids('"blinken"') if hit not in in_words]
        assert len(expected) > len(in_words) > len(in_label)  # all three steps count here
    ranked = (await client.get("/v1/search", params={"q": "blinken", "limit": 50})).json()["data"]
    assert len(expected) < 50  # few matches: ranked by BM25, not in this order
    assert [(hit["type"], hit["id"]) for hit in ranked] != expected
    monkeypatch.setattr(fts, "CANDIDATES", 2)
    app.state.search_pages = Totals(1)  # a fresh store: not the page kept from the request above
    common = (await client.get("/v1/search", params={"q": "blinken", "limit": 50})).json()["data"]
    assert [(hit["type"], hit["id"]) for hit in common] == expected


# Search by who: a fact is found by the names and aliases of its people, below its own words.


async def test_a_speakers_name_finds_their_quotes(client: httpx.AsyncClient) -> None:
    """No quote of Marta Lindqvist says her name; both are found by it, on the list and in search."""
    said = {q["id"] for q in (await client.get("/v1/quotes", params={"speaker": "marta-lindqvist"})).json()["data"]}
    assert said == {"lindqvist-clean-power", "lindqvist-review-every-six-months"}
    listed = (await client.get("/v1/quotes", params={"q": "Lindqvist"})).json()["data"]
    assert {q["id"] for q in listed} == said
    found = await hits(client, "marta lindqvist", type="quote")
    assert {h["id"] for h in found} == said
    for hit in found:  # the snippet is the quote's own words, which do not hold the name
        quote = (await client.get(hit["url"])).json()
        assert "<mark>" not in hit["snippet"] and hit["snippet"].split()[0] in quote["text"]


async def test_a_recipients_name_finds_pledges_to_it(client: httpx.AsyncClient) -> None:
    to = {p["id"] for p in (await client.get("/v1/pledges", params={"recipient": "kyrgyzstan"})).json()["data"]}
    assert to
    listed = {p["id"] for p in (await client.get("/v1/pledges", params={"q": "kyrgyzstan"})).json()["data"]}
    assert to <= listed
    assert to <= {h["id"] for h in await hits(client, "kyrgyzstan", type="pledge")}


async def test_an_alias_finds_the_facts_of_its_entity(client: httpx.AsyncClient) -> None:
    """ "Tokayev" is also an alias; his quotes are found by it whatever their words."""
    his = {
        q["id"] for q in (await client.get("/v1/quotes", params={"speaker": "kassym-jomart-tokayev"})).json()["data"]
    }
    assert his <= {h["id"] for h in await hits(client, "tokayev", type="quote")}


async def test_own_words_rank_above_a_name_alone(client: httpx.AsyncClient) -> None:
    """A quote that says "Tokayev" comes before the quotes that are only his."""
    found = [h["id"] for h in await hits(client, "tokayev", type="quote")]
    texts = {i: (await client.get(f"/v1/quotes/{i}")).json()["text"] for i in found}
    saying = [i for i in found if "tokayev" in texts[i].lower()]
    assert saying and len(saying) < len(found)
    assert found[: len(saying)] == saying
