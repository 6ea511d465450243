"""The docs pages render in a real headless Chromium (Debian's) with every request off the app blocked."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        # Playwright gives every launch a fresh, empty profile directory of its own.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


def offline_page(browser: Browser, base: str) -> tuple[Page, list[str]]:
    """A page that may only reach the app: anything else is aborted and recorded."""
    page = browser.new_page()
    blocked: list[str] = []

    def only_the_app(route: Route) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_app)
    return page, blocked


def test_swagger_ui_shows_every_operation(browser: Browser, live_server: str, tmp_path: Path) -> None:
    page, blocked = offline_page(browser, live_server)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    paths = [element.inner_text() for element in page.query_selector_all(".opblock-summary-path")]
    operations = httpx.get(f"{live_server}/openapi.json").json()["paths"]
    assert len(paths) == sum(len(methods) for methods in operations.values()) == 18
    assert {p.replace("\u200b", "") for p in paths} >= {"/v1/quotes", "/v1/quotes/{quote_id}", "/v1/search"}
    # Open one operation: its parameters, with their descriptions, are on the page.
    page.click("#operations-quotes-listQuotes .opblock-summary")
    page.wait_for_selector("#operations-quotes-listQuotes .parameters")
    parameters = page.inner_text("#operations-quotes-listQuotes .parameters")
    for name in ("speaker__in", "said_on__gte", "cursor", "Only quotes said by this entity id."):
        assert name in parameters
    page.screenshot(path=str(tmp_path / "docs.png"), full_page=False)
    assert blocked == []
    assert errors == []


def test_redoc_renders_offline(browser: Browser, live_server: str) -> None:
    page, blocked = offline_page(browser, live_server)
    page.goto(f"{live_server}/redoc")
    page.wait_for_selector("text=Who said what.", timeout=30_000)
    assert "Article Facts" in page.inner_text("body")
    assert blocked == []
