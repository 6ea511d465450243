"""Reloads against a running server: `article-facts load` under load loses nothing, running requests finish on
the data they started with, and a bad seed change leaves the old data served.

One server (``article-facts serve`` through ``tests.holding_server``, which touches only requests that ask to be
held) serves a private copy of the database for the whole module; each test reads the version it starts from.
"""

import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from app.cli import main
from tests import holding_server
from tests.conftest import ARTICLE_FACTS, ARTICLE_ID, COUNTS, gut_quotes, running_server
from tests.holding_server import HEADER
from tests.test_loader import edit

pytestmark = pytest.mark.sqlite_only(
    "reloads swap a SQLite file under the running server (PostgreSQL's are one transaction: tests/test_postgres.py)"
)

ARTICLE = f"articles/{ARTICLE_ID}"
CLIENTS = 16
# Every kind of route, and the two that report the dataset version (/v1 and /healthz).
PATHS = [
    "/v1",
    "/healthz",
    "/v1/quotes?limit=5",
    "/v1/entities/antony-blinken",
    "/v1/search?q=blinken",
    "/v1/entities?q=blinken",
    "/v1/events?limit=3&sort=-date",
    "/v1/pledges?recipient=kazakhstan",
    "/v1/articles",
]


@dataclass
class Server:
    base: str
    db: Path
    holds: Path
    pid: int


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, db_path: Path) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("reload")
    db, holds = folder / "facts.sqlite3", folder / "holds"
    holds.mkdir()
    shutil.copyfile(db_path, db)
    with running_server(holding_server.command(holds, db), folder / "server.log") as (base, process):
        yield Server(base, db, holds, process.pid)


def version(base: str) -> str:
    return str(httpx.get(f"{base}/v1").json()["dataset"]["version"])


def rename_blinken(seeds: Path, name: str) -> None:
    """A visible change: the name is embedded in every quote he said and in his entity."""
    edit(seeds, "entities.yaml", "    name: Antony Blinken\n", f"    name: {name}\n")


def blinken(base: str) -> str:
    return str(httpx.get(f"{base}/v1/entities/antony-blinken").json()["name"])


def wait_for(path: Path, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} did not appear within {timeout} s"
        time.sleep(0.01)


def deleted_files_open(pid: int, db: Path) -> list[str]:
    """Database files the server still holds open although they were replaced (Linux shows them as deleted)."""
    targets = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            targets.append(os.readlink(fd))
        except FileNotFoundError:  # closed while we looked
            continue
    return [t for t in targets if t.startswith(str(db)) and t.endswith("(deleted)")]


@dataclass
class Outcome:
    path: str
    started: float
    status: int | None  # None: the request failed without a response
    body: Any  # the parsed JSON of a 200, else the text or the error


async def hammer(client: httpx.AsyncClient, first: int, etags: dict[str, str], stop: anyio.Event) -> list[Outcome]:
    """One client: the paths in turn, every third request a revalidation (If-None-Match), until ``stop``."""
    outcomes = []
    i = first
    while not stop.is_set():
        path = PATHS[i % len(PATHS)]
        headers = {"If-None-Match": etags[path]} if i % 3 == 0 and path in etags else {}
        i += 1
        started = time.monotonic()
        try:
            response = await client.get(path, headers=headers)
        except httpx.HTTPError as exc:
            outcomes.append(Outcome(path, started, None, repr(exc)))
            continue
        body: Any = response.text
        if response.status_code == 200:
            try:
                body = response.json()
            except ValueError as exc:
                outcomes.append(Outcome(path, started, None, f"malformed JSON: {exc}"))
                continue
        outcomes.append(Outcome(path, started, response.status_code, body))
    return outcomes


@pytest.mark.anyio
async def test_a_load_under_load_fails_no_request_and_is_served_at_once(server: Server, seeds_copy: Path) -> None:
    old = version(server.base)
    rename_blinken(seeds_copy, "Antony Blinken (reloaded under load)")
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=10) as client:
        etags = {path: (await client.get(path)).headers.get("etag") for path in PATHS}
        results: list[list[Outcome]] = []
        stop = anyio.Event()

        async def run(first: int) -> None:
            results.append(await hammer(client, first, {p: e for p, e in etags.items() if e}, stop))

        async with anyio.create_task_group() as clients:
            for n in range(CLIENTS):
                clients.start_soon(run, n)
            await anyio.sleep(0.5)  # all clients busy
            load_started = time.monotonic()
            loaded = await anyio.run_process(
                [ARTICLE_FACTS, "load", str(seeds_copy), "--db", str(server.db)], check=False
            )
            load_done = time.monotonic()
            await anyio.sleep(1)  # and after the swap
            stop.set()

    assert loaded.returncode == 0, loaded.stderr.decode()
    new = loaded.stdout.decode().split("dataset version ")[1].strip()
    assert new != old
    outcomes = [o for client_outcomes in results for o in client_outcomes]
    failed = [o for o in outcomes if o.status not in (200, 304)]
    assert failed == [], f"{len(failed)} of {len(outcomes)} requests failed, e.g. {failed[:3]}"
    during = [o for o in outcomes if load_started <= o.started <= load_done]
    assert len(during) >= CLIENTS, "the load did not run while the server was busy"
    assert sum(o.status == 304 for o in outcomes) > 0  # revalidations were part of the load

    versions = [
        (o.started, o.body["dataset"]["version"] if o.path == "/v1" else o.body["dataset_version"])
        for o in outcomes
        if o.path in ("/v1", "/healthz") and o.status == 200
    ]
    assert {v for _, v in versions} == {old, new}
    # From the moment the load has finished, every request sees the new data: no restart, no waiting.
    after = [v for started, v in versions if started > load_done]
    assert after and set(after) == {new}
    names = {
        o.body["name"]
        for o in outcomes
        if o.path == "/v1/entities/antony-blinken" and o.status == 200 and o.started > load_done
    }
    assert names == {"Antony Blinken (reloaded under load)"}
    # A search page, and a list page with q, are kept per dataset version (app/routers/search.py,
    # app/streaming.py): never the old data's page.
    for path, name in (("/v1/search?q=blinken", "label"), ("/v1/entities?q=blinken", "name")):
        found = {
            item[name]
            for o in outcomes
            if o.path == path and o.status == 200 and o.started > load_done
            for item in o.body["data"]
            if item["id"] == "antony-blinken"
        }
        assert found == {"Antony Blinken (reloaded under load)"}, path


def test_a_request_running_during_a_load_finishes_on_the_old_data(server: Server, seeds_copy: Path) -> None:
    old_version, old_name = version(server.base), blinken(server.base)
    rename_blinken(seeds_copy, "Antony Blinken (loaded while a request ran)")
    url = f"{server.base}/v1/quotes?speaker=antony-blinken&limit=200"
    with ThreadPoolExecutor(1) as pool:
        # Held with its connection in hand, before its query; the load swaps the file meanwhile.
        running = pool.submit(httpx.get, url, headers={HEADER: "query during-load"}, timeout=40)
        wait_for(server.holds / "during-load.held")
        assert main(["load", str(seeds_copy), "--db", str(server.db)]) == 0
        # The server already serves the new file, while the held request keeps its connection to the old one,
        # which the replaced (deleted) file stays open for.
        assert version(server.base) != old_version
        assert blinken(server.base) == "Antony Blinken (loaded while a request ran)"
        assert deleted_files_open(server.pid, server.db) != []
        (server.holds / "during-load.release").touch()
        response = running.result(timeout=40)

    assert response.status_code == 200 and response.headers["x-test-hold"] == "held"
    assert response.headers["etag"].startswith(f'"{old_version}-')
    quotes = response.json()["data"]
    assert len(quotes) > 1
    assert {quote["speaker"]["name"] for quote in quotes} == {old_name}
    # The next request of the same kind gets the new data.
    again = httpx.get(url).json()["data"]
    assert {quote["speaker"]["name"] for quote in again} == {"Antony Blinken (loaded while a request ran)"}
    # And the replaced file is closed, by the connections idle at the swap and by the one the request held:
    # nothing is left for the garbage collector, which would leave one open file per reload for a long while.
    deadline = time.monotonic() + 10
    while deleted_files_open(server.pid, server.db):
        assert time.monotonic() < deadline, "the replaced database file is still open 10 s after its last request"
        time.sleep(0.05)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# (what, change to a copy of the seeds, what the loader says)
BAD_CHANGES: list[tuple[str, Callable[[Path], object], str]] = [
    (
        "malformed YAML",
        lambda seeds: edit(seeds, f"{ARTICLE}/events.yaml", "events:\n", "events:\n  - title: a: b\n"),
        "malformed YAML: a ': ' inside a value: put the whole value in quotes",
    ),
    (
        "missing evidence",
        lambda seeds: edit(seeds, f"{ARTICLE}/quotes.yaml", "territorial integrity\n", "territorial unity\n"),
        "evidence text 'sovereignty, independence and territorial unity' is not in the article",
    ),
    (
        "much-shrunk data set",
        gut_quotes,
        f"refusing to drop more than 50% of a kind of fact the database holds (quotes {COUNTS['quotes']} -> 0)",
    ),
]


@pytest.mark.parametrize(("change", "message"), [c[1:] for c in BAD_CHANGES], ids=[c[0] for c in BAD_CHANGES])
def test_a_bad_seed_change_leaves_the_old_data_served(
    server: Server,
    seeds_copy: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[Path], object],
    message: str,
) -> None:
    served, before = version(server.base), digest(server.db)
    change(seeds_copy)
    code = main(["load", str(seeds_copy), "--db", str(server.db)])
    err = capsys.readouterr().err
    assert code == 1
    assert message in err
    assert "nothing was written" in err
    assert digest(server.db) == before
    assert version(server.base) == served
    assert httpx.get(f"{server.base}/v1").json()["counts"]["quotes"] == COUNTS["quotes"]


def test_a_shrink_that_is_meant_goes_live(server: Server, seeds_copy: Path) -> None:
    gut_quotes(seeds_copy)
    assert main(["load", str(seeds_copy), "--db", str(server.db), "--allow-shrink"]) == 0
    assert httpx.get(f"{server.base}/v1").json()["counts"]["quotes"] == 0
    assert httpx.get(f"{server.base}/v1/quotes").json()["data"] == []
