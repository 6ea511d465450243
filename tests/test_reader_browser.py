"""The reader page in Debian's Chromium: highlights equal to their spans (with and without JavaScript), the
keyboard path to a card, deep links, and no serious or critical accessibility violation (axe-core)."""

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page

from app.settings import PROJECT_ROOT
from tests.conftest import ARTICLE_ID
from tests.test_docs_browser import browser, offline_page  # noqa: F401 (the Chromium fixture)

AXE = PROJECT_ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"

HIGHLIGHTS = """
() => {
  const texts = {};
  for (const piece of document.querySelectorAll("#text .hl")) {
    for (const index of piece.dataset.a.split(" ")) texts[index] = (texts[index] || "") + piece.textContent;
  }
  return texts;
}
"""


def expected_highlights(base: str) -> dict[str, str]:
    annotations = httpx.get(f"{base}/v1/articles/{ARTICLE_ID}/annotations").json()["data"]
    return {str(i): a["text"] for i, a in enumerate(annotations) if a["type"] != "article"}


def open_reader(page: Page, base: str, fragment: str = "") -> None:
    page.goto(f"{base}/articles/{ARTICLE_ID}{fragment}")
    page.wait_for_selector("#text .hl")


def test_every_highlight_is_its_span(browser: Browser, live_server: str) -> None:  # noqa: F811
    page, blocked = offline_page(browser, live_server)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_reader(page, live_server)
    assert page.evaluate(HIGHLIGHTS) == expected_highlights(live_server)
    assert page.evaluate("document.documentElement.classList.contains('js')")  # the script ran, under the CSP
    assert blocked == [] and errors == []
    page.close()


def test_without_javascript_the_highlights_are_there(browser: Browser, live_server: str) -> None:  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    open_reader(page, live_server)
    pieces = page.locator("#text .hl")
    texts: dict[str, str] = {}
    for i in range(pieces.count()):
        piece = pieces.nth(i)
        for index in (piece.get_attribute("data-a") or "").split():
            texts[index] = texts.get(index, "") + (piece.text_content() or "")
    assert texts == expected_highlights(live_server)
    assert page.locator("html.js").count() == 0  # no script ran
    context.close()


def test_the_keyboard_opens_a_card(browser: Browser, live_server: str) -> None:  # noqa: F811
    page, _ = offline_page(browser, live_server)
    open_reader(page, live_server)
    target = None
    for _ in range(30):
        page.keyboard.press("Tab")
        target = page.evaluate("document.activeElement.matches('#text .hl') && document.activeElement.hash")
        if target:
            break
    assert target, "no highlight reachable with Tab"
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{target}.current")
    assert page.evaluate("'#' + document.activeElement.id") == target
    assert page.locator(target).is_visible()
    anchor = target[1:]
    focused = page.evaluate("[...document.querySelectorAll('#text .hl.focused')].map(p => p.dataset.f.split(' '))")
    assert focused and all(anchor in facts for facts in focused)
    page.close()


def test_a_deep_link_shows_its_fact(browser: Browser, live_server: str) -> None:  # noqa: F811
    quote = httpx.get(f"{live_server}/v1/quotes?article={ARTICLE_ID}&limit=1").json()["data"][0]
    page, _ = offline_page(browser, live_server)
    open_reader(page, live_server, f"#quote-{quote['id']}")
    card = page.locator(f"#quote-{quote['id']}")
    card.wait_for()
    assert "current" in (card.get_attribute("class") or "")
    assert page.locator("#text .hl.focused").count() > 0
    page.close()


def test_the_legend_toggles_a_kind_off(browser: Browser, live_server: str) -> None:  # noqa: F811
    page, _ = offline_page(browser, live_server)
    open_reader(page, live_server)
    quote_piece = page.locator("#text .hl.k-quote").first
    before = quote_piece.evaluate("e => getComputedStyle(e).backgroundColor")
    page.uncheck("#show-quote")
    after = quote_piece.evaluate("e => getComputedStyle(e).backgroundColor")
    assert before != after and after == "rgba(0, 0, 0, 0)"
    page.close()


def test_no_serious_accessibility_violations(browser: Browser, live_server: str, tmp_path: Path) -> None:  # noqa: F811
    assert AXE.exists(), "axe-core is needed: `make test` installs it (npm ci in tests/browser)"
    context = browser.new_context(bypass_csp=True)  # to inject axe-core itself; the page is the one served
    page = context.new_page()
    open_reader(page, live_server)
    page.add_script_tag(path=str(AXE))
    results: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"]][:3])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    page.screenshot(path=str(tmp_path / "reader.png"))
    context.close()
