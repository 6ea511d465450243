"""HTTP behaviour: caching, CORS, redirects, health and the API index."""

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel

from app import API_VERSION, render
from app.backend import Target
from app.loader import load
from app.main import create_app
from app.schemas import ArticleDetail, EntityDetail
from app.settings import get_settings
from tests.conftest import ARTICLE_ID, COUNTS, SEEDS

pytestmark = pytest.mark.anyio


async def test_successful_gets_carry_an_etag_and_revalidate_with_304(client: httpx.AsyncClient) -> None:
    first = await client.get("/v1/quotes?kind=direct")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=60"
    again = await client.get("/v1/quotes?kind=direct", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    weak = await client.get("/v1/quotes?kind=direct", headers={"If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304


@pytest.mark.parametrize("url", ["/v1/quotes?kind=direct", "/v1/quotes/diplomat-tread-very-carefully", "/v1"])
async def test_if_none_match_star_is_a_304_where_the_get_is_a_200(client: httpx.AsyncClient, url: str) -> None:
    """RFC 9110 13.1.2: ``*`` is false when a current representation exists, so a GET of it is a 304."""
    etag = (await client.get(url)).headers["etag"]
    for method in ("GET", "HEAD"):
        response = await client.request(method, url, headers={"If-None-Match": "*"})
        assert (response.status_code, response.content) == (304, b""), method
        assert response.headers["etag"] == etag
        assert response.headers["cache-control"] == "public, max-age=60"
        assert "content-type" not in response.headers and "content-length" not in response.headers


@pytest.mark.parametrize(
    ("url", "status"),
    [("/v1/quotes/no-such-quote", 404), ("/v1/nope", 404), ("/v1/quotes?limit=999", 400), ("/v1/quotes?cursor=x", 400)],
)
async def test_if_none_match_star_keeps_the_error(client: httpx.AsyncClient, url: str, status: int) -> None:
    response = await client.get(url, headers={"If-None-Match": "*"})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status and "etag" not in response.headers


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("/v1/quotes/", "/v1/quotes"),
        ("/v1/quotes/?limit=2&sort=-id", "/v1/quotes?limit=2&sort=-id"),
        ("/v1/quotes/diplomat-tread-very-carefully/", "/v1/quotes/diplomat-tread-very-carefully"),
        ("/v1/quotes/no-such-quote/?x=%C3%A9", "/v1/quotes/no-such-quote?x=%C3%A9"),
        ("/v1/", "/v1"),
        ("/healthz/", "/healthz"),
        ("/v1/search/?q=tokay", "/v1/search?q=tokay"),
        ("/openapi.json/", "/openapi.json"),
    ],
)
async def test_a_trailing_slash_redirects_to_the_route(client: httpx.AsyncClient, url: str, canonical: str) -> None:
    for method in ("GET", "HEAD"):
        response = await client.request(method, url)
        assert response.status_code == 308, method
        assert response.headers["location"] == canonical
    assert (await client.get(url, follow_redirects=True)).url.raw_path.decode() == canonical


@pytest.mark.parametrize("url", ["/v1/quotes//", "/v1/quotes/%2F", "/v1/nope/", "/v1/quotes/a/b/"])
async def test_a_trailing_slash_on_no_route_is_still_a_404(client: httpx.AsyncClient, url: str) -> None:
    response = await client.get(url)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_one_version_string_everywhere(client: httpx.AsyncClient) -> None:
    index = (await client.get("/v1")).json()
    openapi = (await client.get("/openapi.json")).json()
    assert index["api_version"] == openapi["info"]["version"] == API_VERSION


async def test_timestamps_are_utc_with_z(client: httpx.AsyncClient) -> None:
    loaded_at = (await client.get("/v1")).json()["dataset"]["loaded_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", loaded_at), loaded_at
    assert abs(datetime.fromisoformat(loaded_at) - datetime.now(UTC)) < timedelta(days=1)


async def test_etags_differ_by_request(client: httpx.AsyncClient) -> None:
    urls = [
        "/v1/quotes",
        "/v1/quotes?kind=direct",
        "/v1/quotes/diplomat-tread-very-carefully",
        "/v1/entities",
    ]
    tags = {(await client.get(url)).headers["etag"] for url in urls}
    assert len(tags) == len(urls)


async def test_a_stale_etag_gets_the_full_response(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/quotes", headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200
    assert response.json()["data"]


async def test_errors_are_not_cached(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/quotes/nope")
    assert response.status_code == 404
    assert "etag" not in response.headers
    assert "cache-control" not in response.headers


async def test_head_is_get_without_a_body(client: httpx.AsyncClient) -> None:
    get = await client.get("/v1/entities/kazakhstan")
    head = await client.head("/v1/entities/kazakhstan")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == get.headers["content-length"]


async def test_cors_lets_any_origin_read_and_see_link_and_etag(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/quotes?limit=1", headers={"Origin": "https://news.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert set(response.headers["access-control-expose-headers"].split(", ")) == {
        "ETag",
        "Link",
        "X-Request-ID",
        "Retry-After",
        "X-Total-Count",
    }
    assert "access-control-allow-credentials" not in response.headers
    preflight = await client.options(
        "/v1/quotes",
        headers={"Origin": "https://news.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["access-control-allow-methods"]


async def test_root_redirects_to_the_docs(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/docs"


async def test_health(client: httpx.AsyncClient) -> None:
    index = (await client.get("/v1")).json()
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "dataset_version": index["dataset"]["version"]}


async def test_index_counts_and_links(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1")).json()
    assert len(body["dataset"]["version"]) == 16
    assert body["counts"] == COUNTS
    for name in ("articles", "entities", "quotes", "pledges", "events"):
        listed = (await client.get(f"{body['links'][name]}?count=true&limit=1")).json()
        assert listed["total"] == body["counts"][name]


async def test_total_only_when_asked(client: httpx.AsyncClient) -> None:
    assert "total" not in (await client.get("/v1/quotes")).json()
    assert (await client.get("/v1/quotes?count=true&limit=1")).json()["total"] == COUNTS["quotes"]


@pytest.mark.parametrize("url", ["/v1/quotes", "/v1/quotes/nope", "/healthz", "/docs", "/openapi.json"])
async def test_security_headers_on_every_response(client: httpx.AsyncClient, url: str) -> None:
    response = await client.get(url)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert ("script-src 'self'" in csp) == (url == "/docs")


async def test_a_new_load_is_served_without_a_restart(
    new_database: Callable[[], Target], seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = new_database()
    load(SEEDS, db)
    monkeypatch.setenv("ARTICLE_FACTS_RELOAD_CHECK_S", "0")  # PostgreSQL: look for a new version on every request
    get_settings.cache_clear()
    try:
        app = create_app(db)
    finally:
        get_settings.cache_clear()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        before = await client.get("/v1/events/g20-foreign-ministers-new-delhi-2023-03")
        events = seeds_copy / "articles" / ARTICLE_ID / "events.yaml"
        text = events.read_text(encoding="utf-8")
        events.write_text(
            text.replace("G20 foreign ministers' meeting in New Delhi", "G20 ministerial"), encoding="utf-8"
        )
        load(seeds_copy, db)
        after = await client.get("/v1/events/g20-foreign-ministers-new-delhi-2023-03")
        stale = await client.get(
            "/v1/events/g20-foreign-ministers-new-delhi-2023-03", headers={"If-None-Match": before.headers["etag"]}
        )
    assert before.json()["title"] == "G20 foreign ministers' meeting in New Delhi"
    assert after.json()["title"] == "G20 ministerial"
    assert after.headers["etag"] != before.headers["etag"]
    assert stale.status_code == 200


async def test_health_is_never_cached(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers


async def test_the_openapi_document_revalidates_too(client: httpx.AsyncClient) -> None:
    first = await client.get("/openapi.json")
    assert (await client.get("/openapi.json", headers={"If-None-Match": first.headers["etag"]})).status_code == 304


@pytest.mark.sqlite_only("a missing database file; PostgreSQL's unreachable and unloaded databases: test_postgres.py")
async def test_no_database_is_a_503_not_a_500(tmp_path: Path) -> None:
    app = create_app(tmp_path / "missing.sqlite3")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for url in ("/v1/quotes", "/healthz", "/v1"):
            response = await client.get(url)
            assert response.status_code == 503, url
            assert response.headers["retry-after"] == "30"
            assert response.json() == {
                "type": "about:blank",
                "title": "Service Unavailable",
                "status": 503,
                "detail": "The data is not available: there is no database at missing.sqlite3; run `article-facts load`.",
            }


@pytest.mark.parametrize("origin", [None, "https://news.example"])
async def test_every_answer_varies_on_origin_once(client: httpx.AsyncClient, origin: str | None) -> None:
    """With or without ``Origin`` (whose presence adds Access-Control-Allow-Origin), a cache must key on it."""
    headers = {"Origin": origin} if origin else {}
    ok = await client.get("/v1/quotes?limit=1", headers=headers)
    revalidated = await client.get("/v1/quotes?limit=1", headers={**headers, "If-None-Match": ok.headers["etag"]})
    missing = await client.get("/v1/entities/nobody-at-all", headers=headers)
    assert [ok.status_code, revalidated.status_code, missing.status_code] == [200, 304, 404]
    for response in (ok, revalidated, missing):
        varies = [name.strip() for name in response.headers["vary"].split(",")]
        assert varies.count("Origin") == 1, varies
        assert ("access-control-allow-origin" in response.headers) == (origin is not None)
    assert {"Accept", "Accept-Encoding"} <= {name.strip() for name in ok.headers["vary"].split(",")}


async def test_cors_origins_can_be_restricted(database: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARTICLE_FACTS_CORS_ORIGINS", '["https://news.example"]')
    get_settings.cache_clear()
    try:
        app = create_app(database)
    finally:
        get_settings.cache_clear()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        allowed = await client.get("/v1", headers={"Origin": "https://news.example"})
        other = await client.get("/v1", headers={"Origin": "https://elsewhere.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://news.example"
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(("kind", "model"), [("entities", EntityDetail), ("articles", ArticleDetail)])
async def test_a_detail_is_the_bytes_its_model_serializes(
    client: httpx.AsyncClient, kind: str, model: type[BaseModel]
) -> None:
    """render.entity_detail and article_detail append their fields to the stored text instead of validating
    through their models: the result must be what the model would have written, for every item (field order and
    escaping of the verbatim text included)."""
    ids = [item["id"] for item in (await client.get(f"/v1/{kind}?limit=200")).json()["data"]]
    assert len(ids) >= COUNTS[kind]
    for item_id in ids:
        body = (await client.get(f"/v1/{kind}/{item_id}")).content
        assert model.model_validate_json(body).model_dump_json().encode() == body, item_id


async def test_an_entity_detail_embeds_a_bounded_number_of_mentions(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = (await client.get("/v1/entities/antony-blinken")).json()
    assert len(everything["mentions"]) == everything["counts"]["mentions"] > 2
    monkeypatch.setattr(render, "MAX_MENTIONS", 2)
    capped = (await client.get("/v1/entities/antony-blinken")).json()
    assert capped["mentions"] == everything["mentions"][:2]
    assert capped["counts"]["mentions"] == everything["counts"]["mentions"]
