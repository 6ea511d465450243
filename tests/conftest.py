"""Shared fixtures: the test corpus (tests/seeds/) loaded once into a temporary database, and an in-process client.

The backend is a test setting: by default every database is a SQLite file in a temporary folder; with
``ARTICLE_FACTS_TEST_DATABASE_URL`` set to a PostgreSQL URL (``make test-postgres``), every database is a new
database on that server (its role needs CREATEDB), dropped afterwards. Tests of what only one backend has are
marked ``sqlite_only`` or ``postgres_only`` with the reason, and skipped on the other.
"""

import itertools
import math
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, event, make_url, text

from app.backend import Target
from app.db import Totals
from app.loader import load
from app.main import create_app
from app.postgres import PostgresDatabase, postgres_url
from app.routers.search import PAGES_KEPT
from app.settings import PROJECT_ROOT
from app.streaming import Q_PAGES_KEPT

# The suite runs on a corpus it owns (tests/seeds/: a frozen copy of the first curated article plus small articles
# written for the traps), never on the curated seeds/, so adding an article there can break no test.
SEEDS = Path(__file__).resolve().parent / "seeds"
ARTICLE_ID = "mt-2023-02-28-blinken-central-asia"
# What the corpus holds, as /v1 counts it.
COUNTS = {"articles": 4, "entities": 44, "mentions": 133, "quotes": 21, "pledges": 9, "events": 20}
ARTICLE_DIR = SEEDS / "articles" / ARTICLE_ID


# Every statement gets the whole budget on the event loop: on a busy machine a statement may overrun the short
# inline budget and run again in the slow lane (app/lanes.py), which would make statement counts depend on the
# clock. tests/test_lanes.py sets the inline budget itself to show both lanes.
os.environ["ARTICLE_FACTS_INLINE_BUDGET_MS"] = "2000"

TEST_DATABASE_URL = os.environ.get("ARTICLE_FACTS_TEST_DATABASE_URL") or None
if TEST_DATABASE_URL:  # each load's data package goes to a folder of this run, not the project's data/
    os.environ.setdefault("ARTICLE_FACTS_EXPORT_DIR", tempfile.mkdtemp(prefix="article-facts-packages-"))
BACKEND = "postgresql" if TEST_DATABASE_URL else "sqlite"


def pytest_report_header() -> str:
    where = make_url(TEST_DATABASE_URL).render_as_string(hide_password=True) if TEST_DATABASE_URL else "files"
    return f"database backend: {BACKEND} ({where})"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip, with its reason, what the backend under test does not have."""
    other = "sqlite_only" if BACKEND == "postgresql" else "postgres_only"
    for item in items:
        marker = item.get_closest_marker(other)
        if marker is not None:
            reason = marker.args[0] if marker.args else marker.kwargs["reason"]
            item.add_marker(pytest.mark.skip(reason=f"{other.replace('_', ' ')}: {reason}"))


class PostgresServer:
    """Creates and drops the throw-away databases of a test session on the server of TEST_DATABASE_URL."""

    def __init__(self, url: str) -> None:
        self.url = postgres_url(url)
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.prefix = f"article_facts_test_{os.getpid()}_"
        self.names = (f"{self.prefix}{n}" for n in itertools.count())

    def create(self) -> str:
        name = next(self.names)
        with self.admin.connect() as connection:
            # The same encoding and locale as the given database (C.UTF-8 from .ci/postgres), whatever the default.
            collate, ctype = connection.execute(
                text("SELECT datcollate, datctype FROM pg_database WHERE datname = current_database()")
            ).one()
            connection.execute(
                text(
                    f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"
                    f" LC_COLLATE '{collate}' LC_CTYPE '{ctype}'"
                )
            )
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, urls: list[str]) -> None:
        with self.admin.connect() as connection:
            # Ending every session at once first is much faster than DROP ... WITH (FORCE) one database at a time.
            connection.execute(
                text("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname LIKE :prefix"),
                {"prefix": self.prefix + "%"},
            )
            for url in urls:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | None]:
    if TEST_DATABASE_URL is None:
        yield None
        return
    server = PostgresServer(TEST_DATABASE_URL)
    yield server
    server.admin.dispose()


@pytest.fixture(scope="session")
def new_database(
    postgres_server: PostgresServer | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], Target]]:
    """Makes empty databases of the backend under test: a file path (not yet created), or a new PostgreSQL
    database's URL. Those made during the session are dropped at its end."""
    made: list[Target] = []

    def make() -> Target:
        target = (
            postgres_server.create() if postgres_server is not None else tmp_path_factory.mktemp("db") / "facts.sqlite3"
        )
        made.append(target)
        return target

    yield make
    if postgres_server is not None:
        postgres_server.drop([str(target) for target in made])


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def database(new_database: Callable[[], Target]) -> Target:
    """The test corpus, loaded once: the database the shared ``app`` serves."""
    target = new_database()
    load(SEEDS, target)
    return target


# The synthetic corpus that query plans are checked on (tests/test_scale.py, the "expensive but valid" requests of
# tests/test_hostile.py): big enough that a full scan shows, built once per session.
SCALE_QUOTES = 20_000


@pytest.fixture(scope="session")
def scale_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tools.synth import synth  # a tool beside the service, imported only by the tests that need it

    path = tmp_path_factory.mktemp("scale") / "scale.sqlite3"
    synth(path, SCALE_QUOTES, seed=1, progress=False, parallel=False)
    # Without statistics the planner takes every table for a large one (about a million rows), as they are at
    # 1M quotes; with this corpus's statistics it would rightly scan the tables that are still small here.
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("DROP TABLE sqlite_stat1")
        connection.commit()
    return path


@pytest.fixture(scope="session")
def scale_app(scale_db: Path) -> FastAPI:
    return create_app(scale_db)


@contextmanager
def captured(app: FastAPI) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement the app runs inside the block, with its bound parameters."""
    app.state.database.info()  # read once per database file, before capturing starts
    engine = app.state.database.engine()
    seen: list[tuple[str, Any]] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture(scope="session")
def db_path(database: Target) -> Path:
    """The shared database as a SQLite file, for tests of what only SQLite has (they are marked sqlite_only)."""
    assert isinstance(database, Path), "a test that needs the SQLite file must be marked sqlite_only"
    return database


@pytest.fixture(scope="session")
def app(database: Target) -> FastAPI:
    app = create_app(database)
    if isinstance(app.state.database, PostgresDatabase):
        # Nothing reloads the shared database: its version is read once, so statement counts stay exact.
        app.state.database.reload_check_s = math.inf
    return app


def asgi_client(app: FastAPI) -> httpx.AsyncClient:
    """An in-process client of ``app`` that sees its 500s as responses, as a real client would.

    The app forgets the search pages and the list pages with ``q`` it kept (app/routers/search.py,
    app/streaming.py): a test sees the statements, plans and results of its own searches, not another test's page."""
    app.state.search_pages = Totals(PAGES_KEPT)
    app.state.q_pages = Totals(Q_PAGES_KEPT)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        yield client


def gut_quotes(seeds: Path) -> None:
    """Valid YAML, valid data, but every quote gone: what a bad merge can leave."""
    for quotes in seeds.glob("articles/*/quotes.yaml"):
        quotes.write_text("quotes: []\n", encoding="utf-8")


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A private copy of the seeds that a test may break."""
    copy = tmp_path / "seeds"
    shutil.copytree(SEEDS, copy)
    return copy


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        self.statements.append(statement)


@pytest.fixture
def sql_statements(app: FastAPI) -> Iterator[list[str]]:
    """Every SQL statement the app runs while the test runs."""
    app.state.database.info()  # read once per database file, before counting starts
    engine: Engine = app.state.database.engine()
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter.statements
    event.remove(engine, "before_cursor_execute", counter)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    command: list[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run a server command with ``--port <free port>`` appended until it answers /healthz; SIGTERM it at the end.

    Its output goes to ``log`` (a pipe nobody reads could fill up and stall the server) and is shown if it fails
    to start.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_ROOT,
            env={**os.environ, **(env or {})},
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


ARTICLE_FACTS = str(Path(sys.executable).with_name("article-facts"))


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], Target]) -> Iterator[str]:
    """`article-facts serve` on a free loopback port, building its database from the test corpus on start."""
    folder = tmp_path_factory.mktemp("live")
    command = [ARTICLE_FACTS, "serve", "--db", str(new_database()), "--seeds", str(SEEDS)]
    with running_server(command, folder / "server.log") as (base, _process):
        yield base
