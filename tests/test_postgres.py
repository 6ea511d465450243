"""What only the PostgreSQL backend has: read-only transactions under a statement timeout, loads published in
one transaction (readers keep their snapshot; a failure changes nothing), and its own 503s.

Run with ``make test-postgres`` (or ``ARTICLE_FACTS_TEST_DATABASE_URL=postgresql+psycopg://...``).
"""

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from app import loader
from app.backend import LoadError, Target
from app.cli import main
from app.loader import load, needs_build, publish
from app.main import create_app
from app.postgres import PostgresDatabase, postgres_engine
from app.seeds import SearchDoc, compile_seeds, seed_files
from app.settings import get_settings
from tests.conftest import ARTICLE_ID, COUNTS, SEEDS
from tests.test_loader import edit

pytestmark = [pytest.mark.postgres_only("PostgreSQL's own behaviour"), pytest.mark.anyio]

G20 = "/v1/events/g20-foreign-ministers-new-delhi-2023-03"
G20_TITLE = "G20 foreign ministers' meeting in New Delhi"


def app_with(target: Target, monkeypatch: pytest.MonkeyPatch, **settings: str) -> FastAPI:
    """An app on ``target`` with some settings (environment variables without their prefix) changed."""
    for name, value in settings.items():
        monkeypatch.setenv(f"ARTICLE_FACTS_{name.upper()}", value)
    get_settings.cache_clear()
    try:
        return create_app(target)
    finally:
        get_settings.cache_clear()


@contextmanager
def client(app: FastAPI) -> Iterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    yield httpx.AsyncClient(transport=transport, base_url="http://testserver")


def snapshot(url: str) -> list[Any]:
    """Every row of every table, in key order (the load time aside): equal snapshots, equal data."""
    engine = postgres_engine(url)
    try:
        with engine.connect() as connection:
            rows: list[Any] = []
            for table in SQLModel.metadata.sorted_tables:
                columns = [c for c in table.columns if c.name != "loaded_at"]
                query = table.select().with_only_columns(*columns).order_by(*table.primary_key.columns)
                rows += connection.execute(query).all()
            rows += connection.execute(
                text("SELECT kind, id, label, body, names, document::text FROM search_index ORDER BY kind, id")
            ).all()
            return rows
    finally:
        engine.dispose()


@pytest.fixture
def loaded(new_database: Callable[[], Target]) -> str:
    """A database of its own, loaded with the real seeds."""
    url = new_database()
    assert isinstance(url, str)
    load(SEEDS, url)
    return url


def retitle(seeds: Path) -> None:
    edit(seeds, f"articles/{ARTICLE_ID}/events.yaml", f"title: {G20_TITLE}", "title: G20 ministerial")


# --- The app ---------------------------------------------------------------------------------------------


async def test_a_statement_over_its_budget_is_a_503_and_the_next_request_succeeds(
    database: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_with(database, monkeypatch, query_timeout_ms="200")
    assert isinstance(database, str)
    holder = postgres_engine(database)
    with client(app) as http:
        assert (await http.get("/v1")).status_code == 200  # the dataset version is read before the lock
        # Another session holds the quote table: the app's statement waits until its timeout cancels it.
        with holder.connect() as connection:
            connection.execute(text("LOCK TABLE quote IN ACCESS EXCLUSIVE MODE"))
            blocked = await http.get("/v1/quotes")
            connection.rollback()
        after = await http.get("/v1/quotes")
    holder.dispose()
    assert blocked.status_code == 503
    assert blocked.headers["retry-after"] == "1"
    assert blocked.headers["content-type"] == "application/problem+json"
    assert blocked.json() == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "Try again: the query took longer than its time budget.",
    }
    assert after.status_code == 200 and len(after.json()["data"]) == COUNTS["quotes"]


def test_the_apps_connections_cannot_write(app: FastAPI) -> None:
    database: PostgresDatabase = app.state.database
    with database.engine().connect() as connection, pytest.raises(DBAPIError) as raised:
        connection.execute(text("DELETE FROM quote"))
    assert getattr(raised.value.orig, "sqlstate", None) == "25006"  # read_only_sql_transaction
    with database.engine().connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "2s"
        assert connection.execute(text("SHOW transaction_isolation")).scalar() == "repeatable read"


async def test_a_database_never_loaded_is_a_503(new_database: Callable[[], Target]) -> None:
    with client(create_app(new_database())) as http:
        for url in ("/v1/quotes", "/healthz", "/v1"):
            response = await http.get(url)
            assert response.status_code == 503, url
            assert response.headers["retry-after"] == "30"
            assert response.json()["detail"] == (
                "The data is not available: the database was not built by `article-facts load`."
            )


async def test_an_unreachable_server_is_a_503() -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with client(create_app(f"postgresql+psycopg://nobody:nothing@127.0.0.1:{port}/none")) as http:
        for url in ("/v1/quotes", "/healthz", "/v1"):
            response = await http.get(url)
            assert response.status_code == 503, url
            assert response.json()["detail"] == "The data is not available: the database cannot be reached."


# --- The loader ------------------------------------------------------------------------------------------


async def test_readers_keep_the_old_data_until_a_load_commits(
    loaded: str, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_with(loaded, monkeypatch, reload_check_s="0")
    retitle(seeds_copy)
    dataset = compile_seeds(seeds_copy)
    deleted, resume = threading.Event(), threading.Event()
    insert_rows = loader.insert_rows

    def paused_insert_rows(*args: Any) -> None:  # the load, stopped between its DELETEs and its INSERTs
        deleted.set()
        assert resume.wait(60)
        insert_rows(*args)

    monkeypatch.setattr(loader, "insert_rows", paused_insert_rows)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            publish(dataset, loaded)
        except BaseException as exc:
            errors.append(exc)

    with client(app) as http:
        before = await http.get(G20)
        thread = threading.Thread(target=run)
        thread.start()
        try:
            assert deleted.wait(60)
            during = [await http.get(url) for url in (G20, "/v1/quotes?count=true", "/v1")]
        finally:
            resume.set()
            thread.join(60)
        after = await http.get(G20)
        index = (await http.get("/v1")).json()
    assert errors == []
    assert [r.status_code for r in during] == [200, 200, 200]
    assert during[0].json()["title"] == G20_TITLE
    assert during[0].headers["etag"] == before.headers["etag"]
    assert during[1].json()["total"] == COUNTS["quotes"]
    assert after.json()["title"] == "G20 ministerial"
    assert after.headers["etag"] != before.headers["etag"]
    assert index["dataset"]["version"] == dataset.version


def test_a_load_that_fails_in_the_database_changes_nothing(loaded: str) -> None:
    before = snapshot(loaded)
    dataset = compile_seeds(SEEDS)
    dataset.search.append(SearchDoc(**vars(dataset.search[0])))  # a duplicate key, refused at the very end
    with pytest.raises(LoadError, match="duplicate key value violates unique constraint"):
        publish(dataset, loaded)
    assert snapshot(loaded) == before


def test_bad_seeds_are_reported_and_nothing_is_written(
    loaded: str, seeds_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(loaded)
    edit(seeds_copy, f"articles/{ARTICLE_ID}/quotes.yaml", "    speaker: dmitry-peskov\n", "    speaker: nobody\n")
    assert main(["load", str(seeds_copy), "--db", loaded]) == 1
    err = capsys.readouterr().err
    assert "unknown entity 'nobody'" in err and err.endswith("nothing was written\n")
    assert snapshot(loaded) == before


def test_loading_again_gives_the_same_rows(loaded: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(loaded)
    assert main(["load", str(SEEDS), "--db", loaded]) == 0
    assert "article_facts:***@" in capsys.readouterr().out  # the password is not printed
    assert snapshot(loaded) == before


def test_serve_rebuilds_only_an_empty_stale_or_other_revision_database(
    new_database: Callable[[], Target], seeds_copy: Path
) -> None:
    url = new_database()
    assert needs_build(seeds_copy, url)
    load(seeds_copy, url)
    assert not needs_build(seeds_copy, url)
    engine = postgres_engine(str(url))
    with engine.begin() as connection:
        loaded_at = connection.execute(text("SELECT loaded_at FROM dataset_info")).scalar_one()
        assert loaded_at.tzinfo is not None and loaded_at <= datetime.now(UTC)
        connection.execute(text("UPDATE dataset_info SET loaded_at = '2000-01-01T00:00:00Z'"))
    assert needs_build(seeds_copy, url)  # every seed file is newer than that
    assert all(path.stat().st_mtime > 946684800 for path in seed_files(seeds_copy))
    load(seeds_copy, url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'an-older-revision'"))
    engine.dispose()
    assert needs_build(seeds_copy, url)


def test_the_version_check_never_waits_for_the_request_pool(database: Target) -> None:
    """The ETag middleware reads the version from the event loop: were it to wait for a pooled connection that
    busy requests hold, the loop (which they need to finish) would stop. It has a connection of its own."""
    served = PostgresDatabase(str(database))
    served.reload_check_s = 0
    engine = served.engine()
    busy = [engine.connect() for _ in range(engine.pool.size() + engine.pool._max_overflow)]  # type: ignore[attr-defined]
    try:
        assert served.info().version == served.info().version
    finally:
        for connection in busy:
            connection.close()
        engine.dispose()
        served._version_engine.dispose()
