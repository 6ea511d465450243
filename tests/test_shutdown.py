"""SIGTERM: the requests in flight complete, new connections are refused, the process exits within its grace period.

The API answers in milliseconds, so the requests are held in flight by ``tests.holding_server`` (the real
`article-facts serve`, wrapped from outside) until the test has sent the signal and seen new connections refused.
"""

import shutil
import signal
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from subprocess import Popen
from urllib.parse import urlsplit

import httpx
import pytest

from tests import holding_server
from tests.conftest import running_server
from tests.holding_server import HEADER
from tests.test_reload import wait_for

pytestmark = pytest.mark.sqlite_only("the server under test serves a copy of the SQLite test database")

IN_FLIGHT = 20


@contextmanager
def server(tmp_path: Path, db_path: Path, grace_s: int) -> Iterator[tuple[str, Popen[bytes], Path]]:
    db, holds = tmp_path / "facts.sqlite3", tmp_path / "holds"
    holds.mkdir()
    shutil.copyfile(db_path, db)
    env = {"ARTICLE_FACTS_GRACEFUL_SHUTDOWN_S": str(grace_s)}
    with running_server(holding_server.command(holds, db), tmp_path / "server.log", env) as (base, process):
        yield base, process, holds


def refuses_connections(base: str) -> bool:
    address = urlsplit(base)
    try:
        socket.create_connection((address.hostname, address.port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_sigterm_lets_running_requests_finish_and_refuses_new_ones(tmp_path: Path, db_path: Path) -> None:
    grace_s = 10
    with server(tmp_path, db_path, grace_s) as (base, process, holds), ThreadPoolExecutor(IN_FLIGHT) as pool:
        running = [
            pool.submit(httpx.get, f"{base}/v1/quotes?limit=5", headers={HEADER: f"request r{i}"}, timeout=30)
            for i in range(IN_FLIGHT)
        ]
        for i in range(IN_FLIGHT):
            wait_for(holds / f"r{i}.held")

        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        while not refuses_connections(base):
            assert time.monotonic() - signalled < 5, "still accepting connections 5 s after SIGTERM"
            time.sleep(0.01)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base}/healthz")
        assert [f.done() for f in running] == [False] * IN_FLIGHT  # all still in flight, none cut off

        (holds / "all.release").touch()
        responses = [f.result(timeout=30) for f in running]
        assert [r.status_code for r in responses] == [200] * IN_FLIGHT
        assert all(r.headers["x-test-hold"] == "held" and len(r.json()["data"]) == 5 for r in responses)
        # uvicorn re-raises the signal once it has shut down, so the exit status says "ended by SIGTERM".
        assert process.wait(timeout=grace_s) == -signal.SIGTERM
        assert time.monotonic() - signalled < grace_s


def test_a_request_longer_than_the_grace_period_does_not_keep_the_process(tmp_path: Path, db_path: Path) -> None:
    grace_s = 1
    with server(tmp_path, db_path, grace_s) as (base, process, holds), ThreadPoolExecutor(1) as pool:
        # Never released: only the grace period can end it.
        stuck = pool.submit(httpx.get, f"{base}/v1/quotes", headers={HEADER: "request stuck"}, timeout=30)
        wait_for(holds / "stuck.held")
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        assert process.wait(timeout=grace_s + 10) == -signal.SIGTERM
        assert time.monotonic() - signalled >= grace_s  # it did wait for the request, for the grace period
        # Cut off, and told so in a way a client can act on.
        response = stuck.result(timeout=30)
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "5"
        assert response.json()["detail"] == "The server is shutting down; try again."
