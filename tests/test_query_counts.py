"""Lists run a fixed number of SQL statements whatever the page size (no N+1)."""

import httpx
import orjson
import pytest
from sqlalchemy import event

from app.backend import Target
from app.main import create_app
from tests.conftest import BACKEND, StatementCounter

pytestmark = pytest.mark.anyio

# A page is one query: every fact's JSON is rendered at load time (app/documents.py). Sorted so that the first
# item, alone on a page of one, already has every kind of embedded data.
EXPECTED = {
    "/v1/quotes?speaker__in=kassym-jomart-tokayev,antony-blinken&sort=id": 1,
    "/v1/pledges?sort=-announced_on": 1,
    "/v1/events?sort=id": 1,
    "/v1/entities?sort=id": 1,
    "/v1/articles?sort=id": 1,
}
# SQLite: whole-word count, prefix count, then the hits (app/fts.py); PostgreSQL: one ranked query
SEARCH = 1 if BACKEND == "postgresql" else 3


@pytest.mark.parametrize(("url", "statements"), EXPECTED.items())
async def test_statement_count_does_not_grow_with_the_page(
    client: httpx.AsyncClient, sql_statements: list[str], url: str, statements: int
) -> None:
    counts = []
    for limit in (1, 50):
        sql_statements.clear()
        separator = "&" if "?" in url else "?"
        response = await client.get(f"{url}{separator}limit={limit}")
        assert response.status_code == 200
        counts.append(len(sql_statements))
    assert counts == [statements, statements]


async def test_count_adds_one_statement_once_per_filter(database: Target) -> None:
    """A total is counted the first time a filter asks for it, then kept for that dataset: every page of the
    same filter, in any sort and size, reuses it. (A fresh app, so that no other test has filled the cache.)"""
    app = create_app(database)
    app.state.database.info()
    counter = StatementCounter()
    event.listen(app.state.database.engine(), "before_cursor_execute", counter)
    statements = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        for url in (
            "/v1/pledges?announced_by=antony-blinken&limit=1",
            "/v1/pledges?announced_by=antony-blinken&limit=1&count=true",
            "/v1/pledges?announced_by=antony-blinken&limit=1&count=true",
            "/v1/pledges?announced_by=antony-blinken&limit=2&sort=-id&count=true",
        ):
            counter.statements.clear()
            response = await client.get(url)
            assert response.status_code == 200
            statements.append(len(counter.statements))
    plain, first, repeat, other_page = statements
    # +1 statement whenever a total is asked for (the dataset version, read on the request's own connection),
    # +1 more only the first time (the count itself)
    assert (first, repeat, other_page) == (plain + 2, plain + 1, plain + 1)
    assert response.json()["total"] == 3


async def test_a_search_page_is_searched_once_per_dataset(database: Target) -> None:
    """A search page costs the same whatever its size, and is kept rendered: asked again, only the dataset
    version is read (on the request's own connection). (A fresh app, so that no other test has filled the cache.)"""
    app = create_app(database)
    app.state.database.info()
    counter = StatementCounter()
    event.listen(app.state.database.engine(), "before_cursor_execute", counter)
    statements, bodies = [], []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        for url in ("/v1/search?q=blinken&limit=1", "/v1/search?q=blinken&limit=50", "/v1/search?q=blinken&limit=50"):
            counter.statements.clear()
            response = await client.get(url)
            assert response.status_code == 200
            statements.append(len(counter.statements))
            bodies.append(response.content)
    assert statements == [1 + SEARCH, 1 + SEARCH, 1]
    assert bodies[2] == bodies[1] and len(orjson.loads(bodies[1])["data"]) > 1


async def test_a_list_page_with_q_is_read_once_per_dataset(database: Target) -> None:
    """A list page with ``q`` is kept (app/streaming.py): asked again, only the dataset version is read; another
    page, another sort or another word reads its own. Each answer is the one it gave the first time, facets
    included (counted afresh: they are kept on their own). (A fresh app: no other test has filled the cache.)"""
    app = create_app(database)
    app.state.database.info()
    counter = StatementCounter()
    event.listen(app.state.database.engine(), "before_cursor_execute", counter)
    urls = [
        "/v1/quotes?q=kazakhstan&limit=2",
        "/v1/quotes?q=kazakhstan&limit=2",
        "/v1/quotes?q=kazakhstan&limit=3",
        "/v1/quotes?q=kazakhstan&limit=2&sort=-id",
        "/v1/quotes?q=blinken&limit=2",
        "/v1/quotes?q=kazakhstan&limit=2&facet=speaker",
        "/v1/quotes?q=kazakhstan&limit=2&facet=speaker",
    ]
    statements, bodies = [], []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        for url in urls:
            counter.statements.clear()
            response = await client.get(url)
            assert response.status_code == 200
            statements.append(len(counter.statements))
            bodies.append(orjson.loads(response.content))
        cursor = bodies[0]["next_cursor"]
        assert cursor
        counter.statements.clear()
        following = await client.get("/v1/quotes", params={"q": "kazakhstan", "limit": 2, "cursor": cursor})
    first, repeat, longer, other_sort, other_word, faceted, faceted_again = statements
    assert repeat == 1 < first and longer == other_sort == other_word == first
    assert faceted > faceted_again > 1  # the page is kept, the facet counts are kept on their own
    assert bodies[1] == bodies[0] and len(bodies[0]["data"]) == 2
    assert [q["id"] for q in bodies[2]["data"]][:2] == [q["id"] for q in bodies[0]["data"]]
    assert bodies[6] == bodies[5] and "facets" in bodies[5] and "facets" not in bodies[0]
    assert len(counter.statements) == first  # the next page is a page of its own
    assert {q["id"] for q in following.json()["data"]}.isdisjoint(q["id"] for q in bodies[0]["data"])


async def test_revalidation_runs_no_sql(client: httpx.AsyncClient, sql_statements: list[str]) -> None:
    etag = (await client.get("/v1/quotes")).headers["etag"]
    sql_statements.clear()
    assert (await client.get("/v1/quotes", headers={"If-None-Match": etag})).status_code == 304
    assert sql_statements == []


async def test_user_text_reaches_sql_only_as_bound_parameters(
    client: httpx.AsyncClient, sql_statements: list[str]
) -> None:
    hostile = "' OR 1=1--"
    assert (await client.get(f"/v1/quotes?speaker={hostile}")).status_code == 400  # not an id: refused unread
    for url in (f"/v1/quotes?q={hostile}", f"/v1/search?q={hostile}"):  # free text: searched for its words
        assert (await client.get(url)).status_code == 200
    assert sql_statements
    assert not any("OR 1=1" in statement for statement in sql_statements)


@pytest.mark.parametrize(
    ("url", "status", "statements"),
    [
        # a page with items: its ids exist, nothing is looked up (the EXPECTED counts above hold)
        (
            "/v1/quotes?speaker=kassym-jomart-tokayev&mentions=kazakhstan&event=blinken-tokayev-meeting-2023-02-28",
            200,
            1,
        ),
        # an empty page: one look-up per id filter given, in the table's primary key (app/references.py)
        ("/v1/quotes?speaker=united-kingdom", 200, 2),
        ("/v1/quotes?speaker=united-kingdom&mentions=kazakhstan&event=blinken-tokayev-meeting-2023-02-28", 200, 4),
        ("/v1/quotes?kind=direct&said_on__lt=1990-01-01", 200, 1),  # no id filter: nothing to look up
        # an id that does not exist: the look-up finds it missing, then suggestions are read through indexes: the
        # ids on either side of it (2), those of the items whose text has its words (1)
        ("/v1/quotes?speaker=blinken", 400, 5),
    ],
)
async def test_ids_are_looked_up_only_for_an_empty_page(
    client: httpx.AsyncClient, sql_statements: list[str], url: str, status: int, statements: int
) -> None:
    sql_statements.clear()
    response = await client.get(url)
    assert response.status_code == status
    assert status == 400 or (response.json()["data"] == []) == (statements > 1)
    assert len(sql_statements) == statements, sql_statements
