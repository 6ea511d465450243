"""Facets, as a table: each list x a facet, alone and under a filter, counted here from the unfaceted list's own
items; each value's URL gives exactly that many items; the order, the 400s and the ETag. (At scale, on 20,000
quotes: truncation at 30, the query plan and the time budget, in tests/test_scale.py.)"""

from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from app.resources import RESOURCES
from tests.conftest import ARTICLE_ID

pytestmark = pytest.mark.anyio

Values = Callable[[dict[str, Any]], list[str]]


def one(*path: str) -> Values:
    """The value at ``path`` in an item (none when null)."""

    def get(item: dict[str, Any]) -> list[str]:
        value: Any = item
        for key in path:
            value = value[key] if value is not None else None
        return [] if value is None else [value]

    return get


def each(field: str, *path: str) -> Values:
    """The values at ``path`` in each element of the list ``field``, each once."""
    return lambda item: list(dict.fromkeys(one(*path)(element)[0] for element in item[field]))


def year(field: str) -> Values:
    """The year of a date range that lies within one calendar year."""

    def get(item: dict[str, Any]) -> list[str]:
        earliest, latest = item[field]["earliest"], item[field]["latest"]
        return [earliest[:4]] if earliest and latest and earliest[:4] == latest[:4] else []

    return get


# list -> facet -> the facet's values of one item, read from the item's JSON (the list's own representation).
FACETS: dict[str, dict[str, Values]] = {
    "articles": {"year": year("published_on"), "publisher": one("publisher", "id"), "language": one("language")},
    "entities": {"type": one("type"), "country_code": one("country_code")},
    "mentions": {"article": one("article"), "entity": one("entity", "id")},
    "quotes": {
        "year": year("said_on"),
        "article": one("article"),
        "speaker": one("speaker", "id"),
        "kind": one("kind"),
        "mentions": each("mentions", "id"),
        "event": one("event", "id"),
    },
    "pledges": {
        "year": year("announced_on"),
        "article": one("article"),
        "donor": one("donor", "id"),
        "recipient": each("recipients", "id"),
        "announced_by": one("announced_by", "id"),
        "status": one("status"),
        "currency": one("amount", "currency"),
    },
    "events": {
        "year": year("date"),
        "article": one("article"),
        "type": one("type"),
        "participant": each("participants", "entity", "id"),
        "location": one("location", "id"),
        "status": one("status"),
    },
}
# One filter per list, so the counts are shown to follow the request's filters (and q, and a date range).
FILTERS = {
    "articles": "published_on__gte=2023-06-01",
    "entities": "type=country",
    "mentions": f"article={ARTICLE_ID}",
    "quotes": "q=kazakhstan",
    "pledges": "currency=USD",
    "events": "status=occurred&date__lte=2023-03-01",
}
CASES = [
    pytest.param(name, facet, query, id=f"{name}-{facet}{'-filtered' if query else ''}")
    for name, facets in FACETS.items()
    for facet in facets
    for query in ("", FILTERS[name])
]


async def everything(client: httpx.AsyncClient, url: str) -> list[dict[str, Any]]:
    """Every item of a list, page by page."""
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        page = (await client.get(next_url)).json()
        items += page["data"]
        next_url = page["next_url"]
    return items


def expected(items: list[dict[str, Any]], values: Values) -> tuple[list[tuple[str, int]], bool]:
    """The top 30 (value, count) and whether there are more."""
    counted = Counter(value for item in items for value in values(item))
    return sorted(counted.items(), key=lambda pair: (-pair[1], pair[0]))[:30], len(counted) > 30


def test_every_facet_of_every_list_is_in_the_table() -> None:
    offered = {resource.name: set(resource.facets) for resource in RESOURCES}
    assert offered == {name: set(facets) for name, facets in FACETS.items()} | {
        "entities": {"type", "country_code", "article"}
    }


@pytest.mark.parametrize(("name", "facet", "query"), CASES)
async def test_counts_are_those_of_the_list_itself(
    client: httpx.AsyncClient, name: str, facet: str, query: str
) -> None:
    """Each value and its count, as counting the unfaceted list gives them, most frequent first then by value;
    its label names it; its URL lists exactly `count` items."""
    separator = "&" if query else ""
    page = (await client.get(f"/v1/{name}?{query}{separator}facet={facet}&limit=5")).json()
    items = await everything(client, f"/v1/{name}?{query}{separator}limit=200")
    counted = page["facets"][facet]
    listed = [(v["value"], v["count"]) for v in counted["values"]]
    assert (listed, counted["truncated"]) == expected(items, FACETS[name][facet])
    assert page["facets_timed_out"] == []
    for value in counted["values"]:
        response = (await client.get(value["url"] + "&count=true")).json()
        assert response["total"] == value["count"], value["url"]
        query_of = dict(parse_qsl(urlsplit(value["url"]).query))
        assert "cursor" not in query_of
        assert urlsplit(value["url"]).path == f"/v1/{name}"


async def test_entities_by_article_count_each_entity_once(client: httpx.AsyncClient) -> None:
    """An entity mentioned ten times in an article counts once for it (its mentions are many rows)."""
    mentions = await everything(client, "/v1/mentions?limit=200")
    per_article = Counter(article for article, _ in {(m["article"], m["entity"]["id"]) for m in mentions})
    facet = (await client.get("/v1/entities?facet=article")).json()["facets"]["article"]
    assert {v["value"]: v["count"] for v in facet["values"]} == per_article
    assert sum(per_article.values()) > len({m["entity"]["id"] for m in mentions})  # some are in two articles


async def test_labels_name_the_values(client: httpx.AsyncClient) -> None:
    page = (await client.get("/v1/quotes?facet=speaker,kind,event,article,year&speaker=kassym-jomart-tokayev")).json()
    facets = page["facets"]
    assert facets["speaker"]["values"][0]["label"] == "Kassym-Jomart Tokayev"
    assert {v["label"] for v in facets["kind"]["values"]} == {v["value"] for v in facets["kind"]["values"]}
    assert all(v["label"] != v["value"] for v in facets["event"]["values"])  # event titles
    assert facets["article"]["values"][0]["label"].startswith("Blinken Promises")
    assert facets["year"]["values"] == [
        {"value": "2023", "label": "2023", "count": 3, "url": facets["year"]["values"][0]["url"]}
    ]
    assert list(facets) == ["speaker", "kind", "event", "article", "year"]  # in the order asked


async def test_the_url_keeps_the_request_and_replaces_the_facets_own_filter(client: httpx.AsyncClient) -> None:
    base = "/v1/quotes?speaker=antony-blinken&sort=-said_on&facet=speaker&facet=kind&limit=1"
    first = (await client.get(base)).json()
    page = (await client.get(first["next_url"])).json()  # from a cursor: the URLs leave it out
    url = page["facets"]["speaker"]["values"][0]["url"]
    assert parse_qsl(urlsplit(url).query) == [
        ("sort", "-said_on"),
        ("facet", "speaker"),
        ("facet", "kind"),
        ("limit", "1"),
        ("speaker", "antony-blinken"),
    ]
    assert page["facets"] == first["facets"]  # counted over the whole list, not the page


async def test_a_facet_asked_twice_is_counted_once(client: httpx.AsyncClient) -> None:
    page = (await client.get("/v1/events?facet=type,type&facet=status")).json()
    assert list(page["facets"]) == ["type", "status"]


async def test_pages_without_facet_have_no_facets(client: httpx.AsyncClient) -> None:
    page = (await client.get("/v1/quotes?limit=1")).json()
    assert "facets" not in page and "facets_timed_out" not in page


@pytest.mark.parametrize(
    ("url", "valid"),
    [
        ("/v1/quotes?facet=nope", "'article', 'speaker', 'kind', 'mentions', 'event' or 'year'"),
        ("/v1/entities?facet=speaker", "'article', 'type' or 'country_code'"),
        ("/v1/mentions?facet=article,year", "'article' or 'entity'"),
        ("/v1/articles?facet=article", "'publisher', 'language' or 'year'"),
    ],
)
async def test_an_unknown_facet_is_a_400_listing_the_valid_ones(
    client: httpx.AsyncClient, url: str, valid: str
) -> None:
    response = await client.get(url)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [{"parameter": "facet", "detail": f"Input should be {valid}"}]


@pytest.mark.parametrize(
    ("query", "headers"),
    [("format=csv", {}), ("format=ndjson&stream=true", {}), ("", {"Accept": "text/csv"})],
)
async def test_facets_come_only_with_json(client: httpx.AsyncClient, query: str, headers: dict[str, str]) -> None:
    response = await client.get(f"/v1/quotes?facet=speaker&{query}", headers=headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["parameter"] == "facet"
    assert "facets come only with JSON" in response.json()["detail"]


async def test_a_json_stream_ends_with_the_facets_of_its_page(client: httpx.AsyncClient) -> None:
    """A streamed JSON export is one page of every item: its facets are those of that page."""
    streamed = (await client.get("/v1/pledges?facet=recipient,status&stream=true&count=true")).json()
    paged = (await client.get("/v1/pledges?facet=recipient,status&count=true&limit=200")).json()
    counts = {name: [(v["value"], v["count"]) for v in facet["values"]] for name, facet in paged["facets"].items()}
    assert {
        name: [(v["value"], v["count"]) for v in facet["values"]] for name, facet in streamed["facets"].items()
    } == (counts)
    assert streamed["facets_timed_out"] == []
    assert len(streamed["data"]) == streamed["total"] == paged["total"]
    # Each value's URL is the stream's own, filtered by the value.
    url = streamed["facets"]["status"]["values"][0]["url"]
    assert parse_qsl(urlsplit(url).query) == [
        ("facet", "recipient,status"),
        ("stream", "true"),
        ("count", "true"),
        ("status", "new"),
    ]


async def test_a_date_year_filter_keeps_dates_within_the_year(client: httpx.AsyncClient) -> None:
    items = await everything(client, "/v1/events?date__year=2023&limit=200")
    assert items and all(e["date"]["earliest"][:4] == e["date"]["latest"][:4] == "2023" for e in items)
    every = await everything(client, "/v1/events?limit=200")
    assert {e["id"] for e in items} == {e["id"] for e in every if year("date")(e) == ["2023"]}
    assert len(every) > len(items)  # some events' dates could fall in another year (or cross a new year)


async def test_the_etag_depends_on_the_facets(client: httpx.AsyncClient) -> None:
    plain = await client.get("/v1/quotes?limit=2")
    faceted = await client.get("/v1/quotes?limit=2&facet=speaker")
    other = await client.get("/v1/quotes?limit=2&facet=kind")
    tags = {plain.headers["etag"], faceted.headers["etag"], other.headers["etag"]}
    assert len(tags) == 3
    again = await client.get("/v1/quotes?limit=2&facet=speaker", headers={"If-None-Match": faceted.headers["etag"]})
    assert again.status_code == 304
    stale = await client.get("/v1/quotes?limit=2&facet=kind", headers={"If-None-Match": faceted.headers["etag"]})
    assert stale.status_code == 200 and stale.json()["facets"].keys() == {"kind"}
