"""Against a real uvicorn server: what only the real server shows (HTTP framing, start-up, headers)."""

import httpx

from tests.conftest import COUNTS


def test_serve_builds_the_database_and_answers(live_server: str) -> None:
    with httpx.Client(base_url=live_server) as client:
        health = client.get("/healthz")
        assert health.status_code == 200
        index = client.get("/v1").json()
        assert health.json()["dataset_version"] == index["dataset"]["version"]
        assert index["counts"] == COUNTS  # built from the test corpus, not the curated seeds

        quotes = client.get("/v1/quotes", params={"limit": 5})
        assert quotes.status_code == 200
        assert quotes.headers["content-type"] == "application/json"
        assert quotes.headers["link"].startswith("</v1/quotes?limit=5&cursor=")
        revalidated = client.get("/v1/quotes", params={"limit": 5}, headers={"If-None-Match": quotes.headers["etag"]})
        assert revalidated.status_code == 304

        missing = client.get("/v1/quotes/nope")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"

        deleted = client.delete("/v1/quotes")
        assert deleted.status_code == 405
        assert deleted.headers["allow"] == "GET, HEAD"


def test_the_docs_assets_are_served_by_the_app(live_server: str) -> None:
    with httpx.Client(base_url=live_server) as client:
        docs = client.get("/docs").text
        redoc = client.get("/redoc").text
        for page in (docs, redoc):
            assert "cdn." not in page and "https://" not in page.replace("https://fastapi.tiangolo.com", "")
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
            response = client.get(f"/static-offline-docs/{asset}")
            assert response.status_code == 200
            assert len(response.content) > 10_000
