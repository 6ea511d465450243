"""Keyset cursors: a walk visits every item exactly once, in the requested order, with any page size."""

from datetime import date
from typing import Any

import httpx
import pytest

from app.cursors import encode_cursor, ordered_by, parse_sort
from app.models import (
    MAX_ID_LENGTH,
    MAX_LABEL_LENGTH,
    EntityType,
    EventStatus,
    EventType,
    PledgeStatus,
    QuoteKind,
    values_of,
)
from app.params import MAX_CURSOR_LENGTH, is_cursor
from app.resources import RESOURCES, Resource

pytestmark = pytest.mark.anyio

FIRST = "0001-01-01"  # how an open earliest bound sorts


def said_on(item: dict[str, Any]) -> str:
    return item["said_on"]["earliest"] or FIRST


SORTS: list[tuple[str, str, Any]] = [
    ("quotes", "said_on", lambda q: (said_on(q), q["id"])),
    ("quotes", "-said_on", None),
    ("quotes", "speaker,-said_on", None),
    ("quotes", "kind,id", lambda q: (q["kind"], q["id"])),
    ("quotes", "-id", None),
    ("pledges", "announced_on", lambda p: (p["announced_on"]["earliest"] or FIRST, p["id"])),
    ("pledges", "-status", None),
    ("events", "date", lambda e: (e["date"]["earliest"] or FIRST, e["id"])),
    ("events", "-date,title", None),
    ("events", "type", lambda e: (e["type"], e["id"])),
    ("entities", "name", lambda e: (e["name"], e["id"])),
    ("entities", "-mentions", None),
    ("entities", "type,-quotes", None),
    ("articles", "-published_on", None),
]


async def walk(client: httpx.AsyncClient, url: str) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    pages = 0
    while url:
        response = await client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["data"]
        pages += 1
        if body["next_url"]:
            assert response.headers["link"] == f'<{body["next_url"]}>; rel="next"'
            assert f"cursor={body['next_cursor']}" in body["next_url"]
        else:
            assert "link" not in response.headers
            assert body["next_cursor"] is None
        url = body["next_url"]
    return items, pages


@pytest.mark.parametrize(("resource", "sort", "key"), SORTS)
@pytest.mark.parametrize("limit", [1, 2, 7])
async def test_cursor_walk_returns_everything_once_in_order(
    client: httpx.AsyncClient, resource: str, sort: str, key: Any, limit: int
) -> None:
    everything = (await client.get(f"/v1/{resource}?limit=200&sort={sort}")).json()["data"]
    walked, pages = await walk(client, f"/v1/{resource}?limit={limit}&sort={sort}")
    assert [item["id"] for item in walked] == [item["id"] for item in everything]
    assert pages == max(1, -(-len(everything) // limit))
    if key is not None:
        assert [key(item) for item in walked] == sorted(key(item) for item in walked)


def usd(pledge: dict[str, Any]) -> float | None:
    money = pledge["amount"]
    return money["usd"]["amount"] if money is not None and money["usd"] is not None else None


def by_usd(pledges: list[dict[str, Any]], descending: bool) -> list[str]:
    """The documented order of ``sort=usd`` (``-usd``): pledges with a value in US dollars by that value, ties by
    id, in the sort's direction; then those without one (no money, or no rate), by id in the sort's direction."""
    priced = sorted((p for p in pledges if usd(p) is not None), key=lambda p: (usd(p), p["id"]))
    unpriced = sorted(p["id"] for p in pledges if usd(p) is None)
    if descending:
        priced.reverse(), unpriced.reverse()
    return [p["id"] for p in priced] + unpriced


@pytest.mark.parametrize("sort", ["usd", "-usd"])
@pytest.mark.parametrize("limit", [1, 2, 3])
async def test_sort_by_usd_pages_across_the_pledges_without_money(
    client: httpx.AsyncClient, sort: str, limit: int
) -> None:
    """Every pledge exactly once, those without money last in both directions: a page boundary falls between
    two priced pledges, a priced and an unpriced one, and two unpriced ones along the way."""
    everything = (await client.get("/v1/pledges?limit=200")).json()["data"]
    priced = [p for p in everything if usd(p) is not None]
    assert 0 < len(priced) < len(everything) - 1  # the fixture has both kinds, and two without money at least
    walked, pages = await walk(client, f"/v1/pledges?limit={limit}&sort={sort}")
    assert [p["id"] for p in walked] == by_usd(everything, sort.startswith("-"))
    assert pages == -(-len(everything) // limit)


async def test_descending_sort_is_the_reverse_on_unique_keys(client: httpx.AsyncClient) -> None:
    up = (await client.get("/v1/quotes?sort=id&limit=200")).json()["data"]
    down = (await client.get("/v1/quotes?sort=-id&limit=200")).json()["data"]
    assert [q["id"] for q in down] == [q["id"] for q in reversed(up)]


async def test_filters_are_kept_across_pages(client: httpx.AsyncClient) -> None:
    walked, pages = await walk(client, "/v1/quotes?speaker=kassym-jomart-tokayev&limit=1")
    assert pages == 3
    assert {q["speaker"]["id"] for q in walked} == {"kassym-jomart-tokayev"}


async def test_default_sorts(client: httpx.AsyncClient) -> None:
    quotes = (await client.get("/v1/quotes?limit=200")).json()["data"]
    assert [said_on(q) for q in quotes] == sorted(said_on(q) for q in quotes)
    entities = (await client.get("/v1/entities?limit=200")).json()["data"]
    assert [e["name"] for e in entities] == sorted(e["name"] for e in entities)


# The longest value each text sort key can hold, at its most expensive in a cursor's JSON: an id is a slug of at
# most MAX_ID_LENGTH; a name or title has up to MAX_LABEL_LENGTH characters, a control character costing 6 bytes
# (``\u0001``); the enum-like columns hold their vocabulary. A new text sort key must be classified here.
WORST_TEXT = {
    "id": "a" * MAX_ID_LENGTH,
    "speaker_id": "a" * MAX_ID_LENGTH,
    "donor_id": "a" * MAX_ID_LENGTH,
    "name": "\x01" * MAX_LABEL_LENGTH,
    "title": "\x01" * MAX_LABEL_LENGTH,
    "type": max(values_of(EntityType) + values_of(EventType), key=len),
    "kind": max(values_of(QuoteKind), key=len),
    "status": max(values_of(PledgeStatus) + values_of(EventStatus), key=len),
    "article_id": "a" * MAX_ID_LENGTH,
    "entity_id": "a" * MAX_ID_LENGTH,
}


def _worst(column: Any) -> Any:
    kind = column.type.python_type
    if kind is date:
        return date(9999, 12, 31)
    if kind is int:
        return -(2**63)
    if kind is float:
        return -2.2250738585072014e-308  # the longest a float is written in JSON
    return WORST_TEXT[column.key]


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda resource: resource.name)
def test_the_longest_cursor_is_within_the_documented_bound(resource: Resource) -> None:
    """Every key in the sort, descending (a `-` each), each holding its longest value: the longest cursor this
    list can issue still has the documented form and length, so a client may always send it back."""
    sort = parse_sort(resource, ",".join("-" + name for name in resource.sorts))
    cursor = encode_cursor(resource.name, sort, [_worst(column) for column, _ in ordered_by(resource, sort)])
    assert is_cursor(cursor) and len(cursor) <= MAX_CURSOR_LENGTH, (len(cursor), cursor[:40])
