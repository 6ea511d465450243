"""At scale, on a synthetic corpus of 20,000 quotes: every SQL statement behind every list, filter, sort, cursor,
search and detail uses an index (its query plan scans no large table in full), the number of statements does not
grow with the page, and cursor pages return every row exactly once, in the order SQL itself gives.

Statements are captured generically (whatever SQL the app runs on its engine, with the bound parameters) and
each is re-planned with ``EXPLAIN QUERY PLAN`` on the same file, so these tests hold whatever the query code
looks like. Timings belong in ``benchmarks/``, not here.
"""

import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app import fts, listing, matches
from app.cursors import encode_cursor
from app.params import FEW_OPEN
from app.resources import RESOURCES
from tests.conftest import SCALE_QUOTES as QUOTES
from tests.conftest import asgi_client, captured
from tools.synth import COMMON_WORD, PREFIX, RARE_WORDS

pytestmark = pytest.mark.anyio

MAX_STATEMENTS = 8  # one page query (+1 with count=true) and one batch query per kind of embedded data

# Tables whose size does not grow with the corpus: a scan of them is harmless.
SMALL_TABLES = {"dataset_info", "alembic_version"}


@pytest.fixture(scope="module")
def db(scale_db: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(f"file:{scale_db}?mode=ro", uri=True)
    yield connection
    connection.close()


@pytest.fixture
async def client(scale_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(scale_app) as client:
        yield client


Statement = tuple[str, Any]


@pytest.fixture
def statements(scale_app: FastAPI) -> Iterator[list[Statement]]:
    """Every SQL statement the app runs while the test runs, with its bound parameters."""
    with captured(scale_app) as seen:
        yield seen


def one(db: sqlite3.Connection, sql: str, *params: object) -> Any:
    return db.execute(sql, params).fetchone()[0]


def median(db: sqlite3.Connection, sql: str) -> Any:
    values = [row[0] for row in db.execute(sql)]
    return values[len(values) // 2]


@pytest.fixture(scope="module")
def sample(db: sqlite3.Connection) -> dict[str, str]:
    """Real values to filter by: the busiest of each kind (the worst case for a filter followed by a sort)."""
    return {
        "speaker": one(db, "SELECT id FROM entity ORDER BY quote_count DESC, id LIMIT 1"),
        "speaker2": one(db, "SELECT id FROM entity ORDER BY quote_count DESC, id LIMIT 1 OFFSET 1"),
        "mentioned": one(db, "SELECT entity_id FROM quote_mention GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"),
        "event": one(
            db, "SELECT event_id FROM quote WHERE event_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ),
        "article": one(db, "SELECT article_id FROM quote GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"),
        "day": one(db, "SELECT said_on_earliest FROM quote ORDER BY said_on_earliest LIMIT 1 OFFSET ?", QUOTES // 2),
        # Late enough that under 1000 undated quotes (params.FEW_OPEN) were said by then: those are found apart.
        "late_day": one(db, "SELECT said_on_latest FROM quote ORDER BY said_on_latest DESC LIMIT 1 OFFSET 1000"),
        "publisher": one(db, "SELECT publisher_id FROM article GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"),
        "country_code": one(
            db, "SELECT country_code FROM entity WHERE type = 'person' GROUP BY 1 ORDER BY count(*) DESC, 1"
        ),
        "donor": one(db, "SELECT donor_id FROM pledge GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"),
        "recipient": one(db, "SELECT entity_id FROM pledge_recipient GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"),
        "announcer": one(db, "SELECT announced_by_id FROM pledge GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"),
        "participant": one(db, "SELECT entity_id FROM event_participant GROUP BY 1 ORDER BY count(*) DESC, 1"),
        "location": one(db, "SELECT location_id FROM event GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"),
        "quote": one(db, "SELECT id FROM quote ORDER BY id LIMIT 1 OFFSET ?", QUOTES // 2),
        "pledge": one(db, "SELECT id FROM pledge ORDER BY id LIMIT 1"),
        "event_id": one(db, "SELECT id FROM event ORDER BY id LIMIT 1"),
        "mention": str(one(db, "SELECT max(id) FROM mention")),
        "speaker_name": one(db, "SELECT name FROM entity ORDER BY quote_count DESC, id LIMIT 1"),
        # Medians, so that a bound either way matches pages of pledges (the next-page test needs a second page).
        "amount": str(median(db, "SELECT amount FROM pledge WHERE currency = 'USD' ORDER BY amount")),
        "usd": str(median(db, "SELECT usd FROM pledge WHERE usd IS NOT NULL ORDER BY usd")),
        "common": COMMON_WORD,
        "prefix": PREFIX,
        # Entities and events have words of their own: the prefix of most names, the word of most titles.
        "name_prefix": one(db, "SELECT lower(substr(name, 1, 2)) FROM entity GROUP BY 1 ORDER BY count(*) DESC, 1"),
        "event_word": one(
            db, "SELECT lower(substr(title, 1, instr(title, ' ') - 1)) FROM event GROUP BY 1 ORDER BY count(*) DESC, 1"
        ),
        "rare": next(w for w in RARE_WORDS if one(db, "SELECT count(*) FROM search_index(?)", w) == 1),
    }


# Each list with each of its filters and sort keys (a test below checks that none is missing), plus counts.
LISTS = [
    "/v1/articles",
    "/v1/articles?publisher={publisher}",
    "/v1/articles?language=en",
    "/v1/articles?published_on__gte={day}",
    "/v1/articles?published_on__gt={day}",
    "/v1/articles?published_on__lte={day}",
    "/v1/articles?published_on__lt={day}",
    "/v1/articles?published_on__year=2023",
    "/v1/articles?article={article}",
    "/v1/articles?q={common}",
    "/v1/articles?sort=published_on",
    "/v1/articles?sort=title",
    "/v1/articles?sort=-id",
    "/v1/articles?count=true",
    "/v1/entities",
    "/v1/entities?type=person",
    "/v1/entities?type__in=person,country",
    "/v1/entities?country_code={country_code}",
    "/v1/entities?country_code__in={country_code},KZ",
    "/v1/entities?article={article}",
    "/v1/entities?q={name_prefix}",
    "/v1/entities?sort=name",
    "/v1/entities?sort=-mentions",
    "/v1/entities?sort=quotes",
    "/v1/entities?sort=type,-quotes",
    "/v1/entities?sort=-id",
    "/v1/entities?type=person&count=true",
    "/v1/quotes",
    "/v1/quotes?speaker={speaker}",
    "/v1/quotes?speaker__in={speaker},{speaker2}",
    "/v1/quotes?kind=partial",
    "/v1/quotes?mentions={mentioned}",
    "/v1/quotes?said_on__gte={day}",
    "/v1/quotes?said_on__gt={day}",
    "/v1/quotes?said_on__lte={day}",
    "/v1/quotes?said_on__lt={day}",
    "/v1/quotes?said_on__year=2023",
    "/v1/quotes?event={event}",
    "/v1/quotes?article={article}",
    "/v1/quotes?q={common}",
    "/v1/quotes?sort=-said_on",
    "/v1/quotes?sort=speaker,-said_on",
    "/v1/quotes?sort=kind",
    "/v1/quotes?sort=-id",
    "/v1/quotes?count=true",
    "/v1/quotes?speaker={speaker}&count=true",
    "/v1/quotes?q={common}&count=true",
    "/v1/quotes?q={common}&speaker={speaker}&count=true",
    "/v1/pledges",
    "/v1/pledges?donor={donor}",
    "/v1/pledges?recipient={recipient}",
    "/v1/pledges?announced_by={announcer}",
    "/v1/pledges?status=reaffirmed",
    "/v1/pledges?status__in=new,reaffirmed",
    "/v1/pledges?currency=EUR",
    "/v1/pledges?currency=USD&amount__gte={amount}",
    "/v1/pledges?currency=USD&amount__gt={amount}",
    "/v1/pledges?currency=USD&amount__lte={amount}",
    "/v1/pledges?currency=USD&amount__lt={amount}",
    "/v1/pledges?usd__gte={usd}",
    "/v1/pledges?usd__gt={usd}",
    "/v1/pledges?usd__lte={usd}",
    "/v1/pledges?usd__lt={usd}",
    "/v1/pledges?announced_on__gte={day}",
    "/v1/pledges?announced_on__gt={day}",
    "/v1/pledges?announced_on__lte={day}",
    "/v1/pledges?announced_on__lt={day}",
    "/v1/pledges?announced_on__year=2023",
    "/v1/pledges?article={article}",
    "/v1/pledges?q={common}",
    "/v1/pledges?sort=-announced_on",
    "/v1/pledges?sort=donor",
    "/v1/pledges?sort=-status",
    "/v1/pledges?sort=usd",
    "/v1/pledges?sort=-usd",
    "/v1/pledges?sort=-id",
    "/v1/pledges?count=true",
    "/v1/pledges?q={common}&count=true",
    "/v1/events",
    "/v1/events?type=meeting",
    "/v1/events?type__in=meeting,visit",
    "/v1/events?participant={participant}",
    "/v1/events?location={location}",
    "/v1/events?status=planned",
    "/v1/events?date__gte={day}",
    "/v1/events?date__gt={day}",
    "/v1/events?date__lte={day}",
    "/v1/events?date__lt={day}",
    "/v1/events?date__year=2023",
    "/v1/events?article={article}",
    "/v1/events?q={event_word}",
    "/v1/events?sort=-date",
    "/v1/events?sort=type",
    "/v1/events?sort=title",
    "/v1/events?sort=-id",
    "/v1/events?count=true",
    "/v1/mentions",
    "/v1/mentions?entity={speaker}",
    "/v1/mentions?article={article}",
    "/v1/mentions?q={speaker_name}",
    "/v1/mentions?sort=-article",
    "/v1/mentions?sort=entity",
    "/v1/mentions?sort=-id",
    "/v1/mentions?entity={speaker}&count=true",
]
OTHERS = [
    "/v1/articles/{article}",
    "/v1/entities/{speaker}",
    "/v1/quotes/{quote}",
    "/v1/pledges/{pledge}",
    "/v1/events/{event_id}",
    "/v1/mentions/{mention}",
    "/v1/articles/{article}/annotations",
    "/v1/articles/{article}/annotations?type=quote,entity&role=text,mention",
    "/v1/articles/{article}/annotations?entity={speaker}",
    "/v1/search?q={common}",
    "/v1/search?q={prefix}",
    "/v1/search?q={rare}",
    "/v1/search?q={common}&type=quote,entity",
    "/v1/search?q={common} {prefix}",
    "/healthz",
]


MEMBERSHIP = re.compile(
    r"\bWHERE \w+\.ROWID \* \? \+ \? IN \(SELECT ROWID FROM SEARCH_INDEX WHERE \(SEARCH_INDEX MATCH \?\) "
    r"AND SEARCH_INDEX\.ROWID % \? = CASE \? (?:WHEN \? THEN \? )+END\)(?= ORDER BY)"
)


def full_scans(db: sqlite3.Connection, statement: str, parameters: Any) -> list[str]:
    """The lines of the statement's query plan that read a large table in full.

    ``SCAN t`` reads all of ``t``, with one exception: the first page of an unfiltered list, an index walk (or a
    rowid walk) in the requested order that a LIMIT stops (no WHERE, no sort of its own). A virtual (FTS5) table must be
    searched with MATCH (``M`` in its index string) or read by rowid (``=``). ``SEARCH`` lines, index look-ups,
    are fine.
    """
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    # A list's q with a common word (matches.plan "members") walks the sort index too, testing each row's rowid against
    # the set of the matches' rowids, and stops at the page: the walk of a list without a filter, for this check.
    sql = MEMBERSHIP.sub("", " ".join(statement.upper().split()))
    ordered_walk = (
        re.search(r"\bLIMIT\b", sql) is not None
        and re.search(r"\bWHERE\b", sql) is None
        and not any(line.startswith("USE TEMP B-TREE FOR ORDER BY") for line in plan)
    )
    scans = []
    for line in plan:
        match = re.match(r"SCAN (\w+)(?: VIRTUAL TABLE INDEX \d+:(\S*))?", line)
        if match is None or match[1] not in tables or match[1] in SMALL_TABLES:
            continue
        if " VIRTUAL TABLE " in line:
            if "M" not in (match[2] or "") and "=" not in (match[2] or ""):
                scans.append(line)
        elif not (ordered_walk and (" INDEX " in line or (line == f"SCAN {match[1]}" and "ORDER BY" in sql))):
            # An index walk, or a walk of the table itself in rowid order (an INTEGER PRIMARY KEY's ORDER BY).
            scans.append(line)
    return [f"{line}  <-  {' '.join(statement.split())[:300]}" for line in scans]


def page(url: str, sample: dict[str, str], limit: int) -> str:
    """The URL (a template of LISTS or OTHERS) with real values, and ``limit`` where it takes one."""
    if url in LISTS or url.startswith("/v1/search"):
        url += f"{'&' if '?' in url else '?'}limit={limit}"
    return url.format(**sample)


async def get(client: httpx.AsyncClient, url: str) -> httpx.Response:
    response = await client.get(url)
    assert response.status_code == 200, f"{url}: {response.text[:300]}"
    return response


def scans(db: sqlite3.Connection, statements: list[Statement]) -> list[str]:
    assert statements, "no SQL statement was captured"
    return [line for statement, parameters in statements for line in full_scans(db, statement, parameters)]


@pytest.mark.parametrize("url", LISTS + OTHERS)
async def test_no_statement_scans_a_large_table(
    client: httpx.AsyncClient,
    statements: list[Statement],
    db: sqlite3.Connection,
    sample: dict[str, str],
    url: str,
) -> None:
    """A first page and every embedded look-up use indexes; so do details and search."""
    await get(client, page(url, sample, 50))
    assert scans(db, statements) == []


@pytest.mark.parametrize("url", [u for u in LISTS if "article=" not in u])
async def test_the_next_page_scans_no_large_table(
    client: httpx.AsyncClient,
    statements: list[Statement],
    db: sqlite3.Connection,
    sample: dict[str, str],
    url: str,
) -> None:
    """Keyset paging: the page after a cursor is found through an index, not by reading past the earlier ones."""
    next_url = (await get(client, page(url, sample, 1))).json()["next_url"]
    assert next_url
    statements.clear()
    await get(client, next_url)
    assert scans(db, statements) == []


@pytest.mark.parametrize("span", ["quote.said_on", "pledge.announced_on", "article.published_on", "event.date"])
def test_the_longest_range_with_a_known_first_day_is_short(db: sqlite3.Connection, span: str) -> None:
    """``said_on__gte=D`` seeks the sort index to D less the longest range of the kind with a known first day
    (params.LaterEnd), which skips the facts begun long before D only if that range is short: a year at most here.
    The open-started facts (stored from 0001-01-01) are found apart: the next test."""
    (days,) = db.execute("SELECT days FROM date_span WHERE name = ?", (span,)).fetchone()
    assert days <= 366


def vm_steps(db: sqlite3.Connection, statement: str, parameters: Any) -> int:
    """How many virtual-machine instructions SQLite runs for the statement (to the nearest 10): deterministic, and
    in proportion to the index entries and rows it reads."""
    ticks = 0

    def tick() -> int:
        nonlocal ticks
        ticks += 1
        return 0

    db.set_progress_handler(tick, 10)
    try:
        db.execute(statement, parameters).fetchall()
    finally:
        db.set_progress_handler(None, 0)
    return ticks * 10


@pytest.mark.parametrize("sort", ["said_on", "-said_on"])
async def test_a_bound_on_a_dates_later_end_reads_only_the_facts_near_it(
    client: httpx.AsyncClient, statements: list[Statement], db: sqlite3.Connection, sort: str
) -> None:
    """What the plans cannot show: a page of ``said_on__gte=D``, wherever D falls (the first day, the middle, the
    last days, past every quote), costs at most what reading FEW_OPEN open-started quotes twice (params.LaterEnd:
    the matches counted to choose between finding them by their later end and walking them) and four pages without
    a filter cost; never
    the walk of every quote before D, which its plan used to make while 15% of the quotes have no known first day
    (stored from 0001-01-01, so that the longest range reached back to year 1)."""
    await get(client, f"/v1/quotes?sort={sort}&limit=50")
    ((statement, parameters),) = statements
    page_alone = vm_steps(db, statement, parameters)
    count = "SELECT count(*) FROM (SELECT 1 FROM quote WHERE said_on_earliest = '0001-01-01' LIMIT ?)"
    bound = 2 * vm_steps(db, count, (FEW_OPEN,)) + 4 * page_alone
    walk = "SELECT id FROM quote WHERE +said_on_latest >= '9000-01-01' ORDER BY said_on_earliest, id LIMIT 51"
    assert vm_steps(db, walk, ()) > 2 * bound  # the bound is far below the old plan's cost
    later_ends = [day for (day,) in db.execute("SELECT said_on_latest FROM quote ORDER BY 1") if day < "9000"]
    days = [later_ends[int(share * (len(later_ends) - 1))] for share in (0, 0.1, 0.5, 0.9, 0.99, 0.999, 1)]
    costs = {}
    for day in [*days, "2100-01-01"]:
        statements.clear()
        found = (await get(client, f"/v1/quotes?said_on__gte={day}&sort={sort}&limit=50")).json()["data"]
        costs[day] = vm_steps(db, *statements[0])
        assert found or day > later_ends[-1]
    assert max(costs.values()) <= bound, (bound, costs)


async def test_a_page_in_the_middle_uses_an_index(
    client: httpx.AsyncClient, statements: list[Statement], db: sqlite3.Connection
) -> None:
    """Scenario (b) of the benchmark: the cursor of the row half-way through every quote."""
    said_on, quote_id = db.execute(
        "SELECT said_on_earliest, id FROM quote ORDER BY said_on_earliest, id LIMIT 1 OFFSET ?", (QUOTES // 2,)
    ).fetchone()
    cursor = encode_cursor("quotes", [("said_on", False), ("id", False)], [date.fromisoformat(said_on), quote_id])
    body = (await get(client, f"/v1/quotes?limit=50&cursor={cursor}")).json()
    expected = db.execute(
        "SELECT id FROM quote ORDER BY said_on_earliest, id LIMIT 50 OFFSET ?", (QUOTES // 2 + 1,)
    ).fetchall()
    assert [q["id"] for q in body["data"]] == [row[0] for row in expected]
    assert scans(db, statements) == []


@pytest.mark.parametrize("url", LISTS + OTHERS)
async def test_statement_count_does_not_grow_with_the_page(
    client: httpx.AsyncClient, statements: list[Statement], sample: dict[str, str], url: str
) -> None:
    """One page query and one batch query per kind of embedded data, whatever the page size.

    A page of one may run fewer: a kind of embedded data its single item lacks (a quote said at no event)
    costs no query. A larger page never runs more.
    """
    counts = []
    for limit in (1, 10, 50):
        statements.clear()
        await get(client, page(url, sample, limit))
        counts.append(len(statements))
    one, ten, fifty = counts
    assert 1 <= one <= ten == fifty <= MAX_STATEMENTS


def test_every_filter_is_exercised() -> None:
    for resource in RESOURCES:
        filters = set(resource.filters) | {"q", "count"}
        used = {
            name for url in LISTS if url.startswith(f"/v1/{resource.name}") for name in re.findall(r"[?&](\w+)=", url)
        }
        sorts = {
            key
            for url in LISTS
            if url.startswith(f"/v1/{resource.name}?sort=")
            for key in re.findall(r"-?(\w+)", url.split("sort=")[1])
        }
        assert filters - used == set(), resource.name
        assert set(resource.sorts) - sorts == set(), resource.name


WALKS = [
    ("/v1/quotes?limit=200", "SELECT id FROM quote ORDER BY said_on_earliest, id"),
    (
        "/v1/quotes?speaker={speaker}&sort=-said_on&limit=200",
        "SELECT id FROM quote WHERE speaker_id = :speaker ORDER BY said_on_earliest DESC, id DESC",
    ),
    ("/v1/quotes?kind=partial&sort=-id&limit=200", "SELECT id FROM quote WHERE kind = 'partial' ORDER BY id DESC"),
    # Either way of finding the undated quotes (params.LaterEnd): many match the middle day, few the late one.
    (
        "/v1/quotes?said_on__gte={day}&limit=200",
        "SELECT id FROM quote WHERE said_on_latest >= :day ORDER BY said_on_earliest, id",
    ),
    (
        "/v1/quotes?said_on__gt={late_day}&sort=-said_on&limit=200",
        "SELECT id FROM quote WHERE said_on_latest > :late_day ORDER BY said_on_earliest DESC, id DESC",
    ),
    (
        "/v1/entities?type=person&sort=-quotes&limit=200",
        "SELECT id FROM entity WHERE type = 'person' ORDER BY quote_count DESC, id DESC",
    ),
]


async def every_page(client: httpx.AsyncClient, url: str) -> list[Any]:
    """The page at ``url`` and every page after it, following ``next_url``."""
    bodies = [(await get(client, url)).json()]
    while bodies[-1]["next_url"]:
        bodies.append((await get(client, bodies[-1]["next_url"])).json())
    return bodies


@pytest.mark.parametrize(("url", "sql"), WALKS)
async def test_cursor_pages_return_every_row_once_in_order(
    client: httpx.AsyncClient, db: sqlite3.Connection, sample: dict[str, str], url: str, sql: str
) -> None:
    expected = [row[0] for row in db.execute(sql, sample)]
    walked = [item["id"] for body in await every_page(client, url.format(**sample)) for item in body["data"]]
    assert len(expected) > 200
    assert walked == expected


# --- A range under another sort ------------------------------------------------------------------------------

# Ranges under a sort not in their order, walked page by page, and the plain SQL that gives their rows.
RANGE_WALKS = [
    (
        "/v1/quotes?said_on__gte={day}&sort=speaker&limit=200",
        "quote WHERE said_on_latest >= :day ORDER BY speaker_id, id",
    ),
    ("/v1/quotes?said_on__lt={day}&sort=-id&limit=200", "quote WHERE said_on_earliest < :day ORDER BY id DESC"),
    (
        "/v1/quotes?said_on__year=2023&sort=kind,-said_on&limit=200",
        "quote WHERE said_on_earliest >= '2023-01-01' AND said_on_latest <= '2023-12-31' "
        "ORDER BY kind, said_on_earliest DESC, id DESC",
    ),
    (
        "/v1/quotes?said_on__lte={day}&speaker={speaker}&sort=-kind&limit=20",
        "quote WHERE said_on_earliest <= :day AND speaker_id = :speaker ORDER BY kind DESC, id DESC",
    ),
    ("/v1/pledges?usd__lte={usd}&sort=-donor&limit=20", "pledge WHERE usd <= :usd ORDER BY donor_id DESC, id DESC"),
    ("/v1/pledges?usd__gt={usd}&sort=usd&limit=20", "pledge WHERE usd > :usd ORDER BY usd_missing, usd_sort, id"),
    ("/v1/events?date__gt={day}&sort=title&limit=200", "event WHERE date_latest > :day ORDER BY title, id"),
]


@pytest.mark.parametrize("few", [0, 10**9], ids=["walk", "few"])
@pytest.mark.parametrize(("url", "rows"), RANGE_WALKS)
async def test_both_ways_of_reading_a_range_give_the_same_rows(
    client: httpx.AsyncClient,
    db: sqlite3.Connection,
    sample: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    rows: str,
    few: int,
) -> None:
    """A range under another sort walks the sort's index testing each row (many matches) or reads its matches
    through its own index and sorts them (few): either, forced here by the threshold, returns every match once, in
    order, cursor after cursor."""
    monkeypatch.setattr(listing, "FEW_IN_RANGE", few)
    expected = [row[0] for row in db.execute(f"SELECT id FROM {rows}", sample)]
    walked = [item["id"] for body in await every_page(client, url.format(**sample)) for item in body["data"]]
    assert len(expected) > int(url.rsplit("limit=", 1)[1])  # more than one page
    assert walked == expected


# --- q within a list ---------------------------------------------------------------------------------------

# Lists with q, walked page by page, and the plain SQL that gives their rows: the matches found by the search rows'
# own kind and id (never by their rowids), in the list's order.
SEARCH_WALKS = [
    ("/v1/quotes?q={common}&limit=200", "quote", "said_on_earliest, id"),
    ("/v1/quotes?q={common}&sort=speaker,-said_on&limit=200", "quote", "speaker_id, said_on_earliest DESC, id DESC"),
    ("/v1/quotes?q={prefix}&sort=-id&limit=200", "quote", "id DESC"),
    ("/v1/events?q={event_word}&limit=20", "event", "date_earliest, id"),
    ("/v1/articles?q={common}&limit=200", "article", "published_on_earliest DESC, id DESC"),
    ("/v1/entities?q={name_prefix}&limit=20", "entity", "name, id"),
]


@pytest.mark.parametrize("common", [0, 10**9], ids=["members", "match"])
@pytest.mark.parametrize(("url", "kind", "order"), SEARCH_WALKS)
async def test_both_plans_of_q_give_the_same_rows(
    client: httpx.AsyncClient,
    db: sqlite3.Connection,
    sample: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    kind: str,
    order: str,
    common: int,
) -> None:
    """A list's q walks the sort index testing rowids (a common word) or reads the matches' ids (a rare one):
    either, forced here by the threshold, returns every match once, in order, and counts them all."""
    monkeypatch.setattr(matches, "COMMON", common)
    word = re.search(r"q=\{(\w+)\}", url)[1]  # type: ignore[index]
    expected = [
        row[0]
        for row in db.execute(
            f"SELECT id FROM {kind} WHERE id IN (SELECT id FROM search_index WHERE search_index MATCH ? AND kind = ?) "
            f"ORDER BY {order}",
            (fts.fts5_query(sample[word]), kind),
        )
    ]
    bodies = await every_page(client, url.format(**sample) + "&count=true")
    assert all(body["total"] == len(expected) for body in bodies)
    walked = [item["id"] for body in bodies for item in body["data"]]
    assert len(expected) > int(url.rsplit("limit=", 1)[1])  # more than one page
    assert walked == expected


@pytest.mark.parametrize("cursor", [False, True], ids=["first", "next"])
async def test_q_with_a_common_word_walks_the_sort_index(
    client: httpx.AsyncClient, statements: list[Statement], db: sqlite3.Connection, sample: dict[str, str], cursor: bool
) -> None:
    """At 20k quotes the common word has over matches.COMMON matches: the page walks the sort index and tests each
    quote's rowid against the matches' rowids (a LIST SUBQUERY, built from the doclist), no sort of its own; a rare
    word reads its few matches' ids and sorts them."""
    assert one(db, "SELECT count(*) FROM search_index(?) WHERE kind = 'quote'", COMMON_WORD) >= matches.COMMON
    url = f"/v1/quotes?q={COMMON_WORD}&limit=50"
    if cursor:
        url = (await get(client, url)).json()["next_url"]
        statements.clear()
    await get(client, url)
    page_sql, parameters = next((sql, p) for sql, p in statements if "ORDER BY" in sql)
    plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {page_sql}", parameters)]
    assert re.match(r"(SCAN|SEARCH) quote USING (COVERING )?INDEX ix_quote_said_on", plan[0]), plan
    assert any(line.startswith("LIST SUBQUERY") for line in plan), plan
    assert not any("TEMP B-TREE" in line for line in plan), plan
    statements.clear()
    await get(client, f"/v1/quotes?q={sample['rare']}&limit=50")
    page_sql, parameters = next((sql, p) for sql, p in statements if "ORDER BY" in sql)
    plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {page_sql}", parameters)]
    assert re.match(r"SEARCH quote USING (COVERING )?INDEX \w+ \(id=\?\)", plan[0]), plan  # by each match's id
    assert any(line.startswith("USE TEMP B-TREE FOR ORDER BY") for line in plan), plan


# --- Facets ------------------------------------------------------------------------------------------------


def facet_plans(db: sqlite3.Connection, statements: list[Statement]) -> list[list[str]]:
    """The query plan of each facet statement (the GROUP BY ones) the request ran."""
    grouped = [(sql, parameters) for sql, parameters in statements if "GROUP BY" in sql]
    assert grouped, "no facet statement was captured"
    return [[row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", parameters)] for sql, parameters in grouped]


async def test_the_speaker_facet_reads_only_an_index(
    client: httpx.AsyncClient, statements: list[Statement], db: sqlite3.Connection
) -> None:
    """`facet=speaker` over every quote counts the entries of the (speaker, said_on) index in its order: no row
    of the table is read and no sort is needed to group them; only the 31 counts are sorted."""
    await get(client, "/v1/quotes?facet=speaker&limit=1")
    (plan,) = facet_plans(db, statements)
    assert "SCAN quote USING COVERING INDEX ix_quote_speaker_id_said_on" in plan
    assert "USE TEMP B-TREE FOR GROUP BY" not in plan
    assert not any(line.startswith("SCAN quote") and "INDEX" not in line for line in plan)


async def test_a_filtered_facet_reads_the_filters_index(
    client: httpx.AsyncClient, statements: list[Statement], db: sqlite3.Connection, sample: dict[str, str]
) -> None:
    await get(client, "/v1/quotes?kind=partial&facet=speaker&limit=1")
    await get(client, f"/v1/quotes?speaker={sample['speaker']}&facet=kind&limit=1")
    by_kind, by_speaker = facet_plans(db, statements)
    assert "SEARCH quote USING INDEX ix_quote_kind_said_on (kind=?)" in by_kind
    assert "SEARCH quote USING INDEX ix_quote_speaker_id_said_on (speaker_id=?)" in by_speaker


async def test_a_facet_with_more_values_lists_the_top_30(client: httpx.AsyncClient, db: sqlite3.Connection) -> None:
    """By count, most first, then by value; `truncated` when there are more; labels are the entities' names."""
    facet = (await get(client, "/v1/quotes?facet=speaker&limit=1")).json()["facets"]["speaker"]
    expected = db.execute(
        "SELECT speaker_id, count(*), entity.name FROM quote JOIN entity ON entity.id = speaker_id "
        "GROUP BY speaker_id ORDER BY count(*) DESC, speaker_id LIMIT 30"
    ).fetchall()
    assert one(db, "SELECT count(DISTINCT speaker_id) FROM quote") > 30
    assert [(v["value"], v["count"], v["label"]) for v in facet["values"]] == [tuple(row) for row in expected]
    assert facet["truncated"] is True
    counts = [v["count"] for v in facet["values"]]
    assert len(set(counts)) < len(counts)  # ties, broken by value


@pytest.mark.sqlite_only("SQLite's progress-handler budget; PostgreSQL's statement_timeout: test_postgres.py")
async def test_a_facet_over_the_budget_is_left_out_and_the_page_served(
    client: httpx.AsyncClient, scale_app: FastAPI
) -> None:
    """With no time at all, SQLite interrupts a statement at its first progress check (1000 virtual machine
    instructions): the page of one quote finishes before it, counting thousands does not (under a filter no other
    test counts, so nothing is cached). The page is still a 200 with the facets named in `facets_timed_out`; with
    the budget back they are counted (a count that timed out is not cached)."""
    budget = scale_app.state.database.budget
    seconds, budget.seconds = budget.seconds, 0
    try:
        response = await get(client, "/v1/quotes?kind=indirect&facet=mentions,speaker&limit=1")
    finally:
        budget.seconds = seconds
    page = response.json()
    assert len(page["data"]) == 1
    assert page["facets"] == {}
    assert page["facets_timed_out"] == ["mentions", "speaker"]
    again = (await get(client, "/v1/quotes?kind=indirect&facet=mentions,speaker&limit=1")).json()
    assert list(again["facets"]) == ["mentions", "speaker"] and again["facets_timed_out"] == []
