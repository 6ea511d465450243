"""In Chromium, JavaScript's own ``text.slice(start_utf16, end_utf16)`` gives every span's text, for every span of
every article: the seeds, and the fixture article full of emoji (tests/fixtures/astral) where the code-point
offsets would not."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser

from app.backend import Target
from tests.conftest import ARTICLE_FACTS, running_server
from tests.test_annotations import ASTRAL
from tests.test_docs_browser import browser  # noqa: F401 (the Chromium fixture)

EVERY_SPAN = """
async () => {
  const get = async (url) => (await fetch(url)).json();
  const all = async (url) => {
    let items = [];
    for (let next = url; next; ) {
      const page = await get(next);
      items = items.concat(page.data);
      next = page.next_url;
    }
    return items;
  };
  const result = {checked: 0, shifted: 0, failures: []};
  for (const article of await all("/v1/articles?limit=200")) {
    const text = (await get(article.url)).text;
    const spans = [];
    for (const list of ["articles", "quotes", "pledges", "events"]) {
      for (const item of await all(`/v1/${list}?article=${article.id}&limit=200`)) spans.push(...item.evidence);
    }
    spans.push(...(await all(`/v1/mentions?article=${article.id}&limit=200`)));
    spans.push(...(await get(`/v1/articles/${article.id}/annotations`)).data);
    for (const span of spans) {
      result.checked += 1;
      if (span.start_utf16 !== span.start) result.shifted += 1;
      if (text.slice(span.start_utf16, span.end_utf16) !== span.text) result.failures.push(span);
    }
  }
  return result;
}
"""


@pytest.fixture(scope="module")
def astral_server(tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], Target]) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("astral")
    command = [ARTICLE_FACTS, "serve", "--db", str(new_database()), "--seeds", str(ASTRAL)]
    with running_server(command, folder / "server.log") as (base, _process):
        yield base


def every_span(chromium: Browser, base: str) -> dict[str, Any]:
    context = chromium.new_context(bypass_csp=True)  # the API's own CSP lets no script fetch; this page is a client
    try:
        page = context.new_page()
        page.goto(f"{base}/v1")
        result: dict[str, Any] = page.evaluate(EVERY_SPAN)
        return result
    finally:
        context.close()


def test_javascript_slices_every_span_of_the_astral_article(browser: Browser, astral_server: str) -> None:  # noqa: F811
    result = every_span(browser, astral_server)
    assert result["failures"] == []
    assert result["checked"] > 20
    assert result["shifted"] > result["checked"] // 2  # the code-point offsets would have failed these


def test_javascript_slices_every_span_of_the_seeds(browser: Browser, live_server: str) -> None:  # noqa: F811
    result = every_span(browser, live_server)
    assert result["failures"] == []
    assert result["checked"] > 100
