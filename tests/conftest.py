"""Shared fixtures: the real seeds loaded once into a temporary database, and an in-process client."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event

from app.loader import load
from app.main import create_app
from app.settings import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "seeds"
ARTICLE_ID = "mt-2023-02-28-blinken-central-asia"
ARTICLE_DIR = SEEDS / "articles" / ARTICLE_ID


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "facts.sqlite3"
    load(SEEDS, path)
    return path


@pytest.fixture(scope="session")
def app(db_path: Path) -> FastAPI:
    return create_app(db_path)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


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
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`article-facts serve` on a free loopback port, building its database from the seeds on start."""
    folder = tmp_path_factory.mktemp("live")
    command = [ARTICLE_FACTS, "serve", "--db", str(folder / "facts.sqlite3")]
    with running_server(command, folder / "server.log") as (base, _process):
        yield base
