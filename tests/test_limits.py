"""Bounded cost and what every response carries: query time budget, concurrency cap, header and URL caps,
response size, security headers, CORS without credentials, a read-only connection, request ids and JSON logs.

Nothing here measures time: a budget is shown by a query that could never finish within it (or a budget of zero),
a concurrency cap by a request held open on purpose.
"""

import contextlib
import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from app.backend import Target
from app.lanes import served
from app.main import create_app
from app.settings import get_settings

pytestmark = pytest.mark.anyio
SQLITE_BUDGET = pytest.mark.sqlite_only(
    "SQLite's progress-handler budget; PostgreSQL's statement_timeout: test_postgres.py"
)

SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
# Documented in docs/reliability.md: no API response is larger than this.
MAX_RESPONSE_BYTES = 1024 * 1024


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set ARTICLE_FACTS_* variables for the apps a test creates; settings are re-read, then restored."""
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def client_for(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def count_to(connection: Connection, n: int) -> dict[str, int]:
    """A query whose cost the test chooses: counts to ``n`` (0 for ever)."""
    limit = f"WHERE x < {n}" if n else ""
    statement = text(f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c {limit}) SELECT count(*) FROM c")
    return {"count": connection.execute(statement).scalar_one()}


async def counted(request: Request, n: int) -> dict[str, int]:
    """``count_to`` as a route, its statement run the way the routes run theirs."""
    return await served(request, lambda connection: count_to(connection, n))


def boom() -> None:
    raise RuntimeError("secret internals: /srv/app/db.py line 42")


@pytest.fixture
def test_app(database: Target) -> FastAPI:
    """A fresh app with two routes that exist only in tests: a query of chosen cost and a crash."""
    app = create_app(database)
    app.add_api_route("/test/count", counted)
    app.add_api_route("/test/boom", boom)
    return app


# --- Query time budget -------------------------------------------------------------------------------------


@SQLITE_BUDGET
async def test_a_runaway_query_is_stopped_with_a_503_and_the_next_request_succeeds(test_app: FastAPI) -> None:
    test_app.state.database.budget.seconds = 0.3  # the query below never finishes
    async with client_for(test_app) as client:
        stopped = await client.get("/test/count?n=0")
        after = await client.get("/v1/quotes/diplomat-tread-very-carefully")
    assert stopped.status_code == 503
    assert stopped.headers["retry-after"] == "1"
    assert stopped.headers["content-type"] == "application/problem+json"
    assert stopped.json() == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "Try again: the query took longer than its time budget.",
    }
    assert after.status_code == 200


@SQLITE_BUDGET
async def test_the_budget_is_checked_by_sqlite_itself_and_the_worker_recovers(test_app: FastAPI) -> None:
    """With no time at all, a statement is interrupted at SQLite's first progress check (after 1000 virtual
    machine instructions, whatever the clock says); with time back, the same worker (same pool, same
    connection) runs it to the end."""
    async with client_for(test_app) as client:
        test_app.state.database.budget.seconds = 0
        interrupted = await client.get("/test/count?n=100000")
        test_app.state.database.budget.seconds = get_settings().query_timeout_ms / 1000
        answered = await client.get("/test/count?n=100000")
    assert interrupted.status_code == 503
    assert answered.status_code == 200
    assert answered.json() == {"count": 100000}


def test_the_budget_is_two_seconds_by_default() -> None:
    assert get_settings().query_timeout_ms == 2000


# --- Concurrency cap ---------------------------------------------------------------------------------------


async def test_requests_over_the_concurrency_cap_get_a_fast_503(
    database: Target, settings_env: pytest.MonkeyPatch
) -> None:
    settings_env.setenv("ARTICLE_FACTS_MAX_CONCURRENCY", "2")
    app = create_app(database)
    started, release = anyio.Event(), anyio.Event()
    holding = 0

    async def hold() -> dict[str, bool]:
        nonlocal holding
        holding += 1
        if holding == 2:
            started.set()
        await release.wait()
        return {"held": True}

    app.add_api_route("/test/hold", hold)
    results: list[httpx.Response] = []
    async with client_for(app) as client:

        async def fetch_held() -> None:
            results.append(await client.get("/test/hold"))

        async with anyio.create_task_group() as group:
            group.start_soon(fetch_held)
            group.start_soon(fetch_held)
            await started.wait()  # two requests in flight: the cap
            refused = await client.get("/v1/quotes")
            release.set()
        after = await client.get("/v1/quotes")
    assert [r.status_code for r in results] == [200, 200]
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == "The server is answering 2 requests already; try again in a moment."
    assert refused.headers["x-request-id"]
    assert after.status_code == 200


# --- Header and URL caps -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {f"X-Filler-{i}": "v" for i in range(70)},  # too many
        {"X-Big": "a" * 9000},  # one too large
        {f"X-Filler-{i}": "b" * 300 for i in range(30)},  # too large together
    ],
    ids=["count", "one-large", "total-size"],
)
async def test_too_many_or_too_large_headers_are_a_431(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.get("/v1/quotes", headers=headers)
    sent = response.request.headers.raw
    if len(sent) > 64:
        detail = f"The request has {len(sent)} headers; this server takes 64."
    else:
        detail = f"The request headers are {sum(len(k) + len(v) for k, v in sent)} bytes long; this server takes 8192."
    assert response.status_code == 431
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Request Header Fields Too Large",
        "status": 431,
        "detail": detail,
    }


async def test_headers_within_the_caps_are_served(client: httpx.AsyncClient) -> None:
    many = {f"X-Filler-{i}": "v" for i in range(55)}
    assert (await client.get("/v1/quotes", headers=many)).status_code == 200
    assert (await client.get("/v1/quotes", headers={"X-Big": "a" * 7000})).status_code == 200


def raw_request(base: str, header_value_bytes: int) -> bytes:
    """One HTTP/1.1 request with a header of the given size, written to the server's socket at once; the answer
    up to the server closing the connection (``Connection: close`` below)."""
    host, port = base.removeprefix("http://").split(":")
    request = f"GET /v1 HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nX-Big: {'a' * header_value_bytes}\r\n\r\n"
    answer = b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # it may close before reading it all
            sock.sendall(request.encode())
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                answer += chunk
    return answer


@pytest.mark.parametrize("size", [10_000, 1_000_000])
def test_through_a_real_uvicorn_large_headers_get_our_431(live_server: str, size: int) -> None:
    """uvicorn with httptools (``uvicorn[standard]``) sets no header limit of its own: even a megabyte of headers
    is read and handed to the app, and it is our cap that answers. (uvicorn's pure-Python h11 parser, used without
    httptools, stops at about 64 KB with a plain-text 400; see docs/reliability.md.)"""
    answer = raw_request(live_server, size)
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b"content-type: application/problem+json" in answer
    assert b"x-request-id: " in answer
    assert b'"status":431' in answer


# --- Response size -----------------------------------------------------------------------------------------


async def test_no_response_exceeds_the_documented_maximum(client: httpx.AsyncClient) -> None:
    """The largest responses the API can give: every list at its largest page, every item, the widest search."""
    sizes: dict[str, int] = {}
    for name in ("articles", "entities", "quotes", "pledges", "events"):
        page = await client.get(f"/v1/{name}?limit=200&count=true")
        sizes[f"/v1/{name}"] = len(page.content)
        for item in page.json()["data"]:
            sizes[item["url"]] = len((await client.get(item["url"])).content)
    for word in ("a", "the", "kazakhstan", "russia"):
        sizes[f"/v1/search?q={word}"] = len((await client.get(f"/v1/search?q={word}&limit=50")).content)
    largest = max(sizes, key=sizes.__getitem__)
    assert sizes[largest] < MAX_RESPONSE_BYTES, (largest, sizes[largest])
    assert len(sizes) > 80  # every item of every list was measured


# --- What every response carries ----------------------------------------------------------------------------


async def requests_of_every_kind(client: httpx.AsyncClient) -> list[tuple[str, httpx.Response]]:
    etag = (await client.get("/v1/quotes")).headers["etag"]
    return [
        ("200", await client.get("/v1/quotes")),
        ("200 HEAD", await client.head("/v1/quotes")),
        ("304", await client.get("/v1/quotes", headers={"If-None-Match": etag})),
        ("400", await client.get("/v1/quotes?limit=0")),
        ("404", await client.get("/v1/nowhere")),
        ("405", await client.delete("/v1/quotes")),
        ("414", await client.get("/v1/quotes?q=" + "a" * 9000)),
        ("431", await client.get("/v1/quotes", headers={"X-Big": "a" * 9000})),
        ("500", await client.get("/test/boom")),
        ("503", await client.get("/test/count?n=0")),
        (
            "preflight",
            await client.options(
                "/v1/quotes", headers={"Origin": "https://a.example", "Access-Control-Request-Method": "GET"}
            ),
        ),
        ("docs", await client.get("/docs")),
    ]


@SQLITE_BUDGET
async def test_security_headers_and_a_request_id_on_every_kind_of_response(test_app: FastAPI) -> None:
    test_app.state.database.budget.seconds = 0.2
    async with client_for(test_app) as client:
        responses = await requests_of_every_kind(client)
    assert [kind.split()[0] for kind, r in responses if kind[0].isdigit()] == [
        str(r.status_code) for kind, r in responses if kind[0].isdigit()
    ]
    ids = set()
    for kind, response in responses:
        for name, value in SECURITY.items():
            assert response.headers[name] == value, kind
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], kind
        ids.add(response.headers["x-request-id"])
    assert len(ids) == len(responses)  # a new id for each request


async def test_an_unexpected_error_is_a_500_problem_logged_with_its_traceback(
    test_app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    async with client_for(test_app) as client:
        response = await client.get("/test/boom", headers={"X-Request-ID": "trace-me-1"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "trace-me-1"
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "The server failed to answer this request. It has been logged as request trace-me-1.",
    }
    assert "secret" not in response.text and "Traceback" not in response.text
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    error = next(line for line in lines if line["level"] == "ERROR")
    assert error["request_id"] == "trace-me-1"
    assert error["message"] == "unexpected error"
    assert "Traceback" in error["exc_info"] and "RuntimeError: secret internals" in error["exc_info"]
    access = next(line for line in lines if line["message"] == "request")
    assert access["status"] == 500 and access["route"] == "/test/boom"


async def test_cors_never_allows_credentials(database: Target, settings_env: pytest.MonkeyPatch) -> None:
    for origins in ('["*"]', '["https://news.example"]'):
        settings_env.setenv("ARTICLE_FACTS_CORS_ORIGINS", origins)
        get_settings.cache_clear()
        async with client_for(create_app(database)) as client:
            simple = await client.get("/v1", headers={"Origin": "https://news.example", "Cookie": "session=1"})
            preflight = await client.options(
                "/v1/quotes",
                headers={
                    "Origin": "https://news.example",
                    "Access-Control-Request-Method": "GET",
                    "Access-Control-Request-Headers": "X-Request-ID",
                },
            )
        assert simple.status_code == 200 and preflight.status_code == 200
        for response in (simple, preflight):
            assert "access-control-allow-credentials" not in response.headers, origins
            assert response.headers["access-control-allow-origin"] in ("*", "https://news.example")


# --- Read-only connection ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM quote",
        "UPDATE entity SET name = 'x'",
        "INSERT INTO dataset_info (id) VALUES (2)",
        "CREATE TABLE pwned (x)",
        "DROP TABLE entity",
        "PRAGMA user_version = 99",
    ],
)
@pytest.mark.sqlite_only("mode=ro and query_only; PostgreSQL's read-only transactions: test_postgres.py")
def test_the_apps_own_connection_cannot_write(app: FastAPI, db_path: Path, statement: str) -> None:
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    engine = app.state.database.engine()
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA query_only = OFF")  # even with query_only lifted: the file is mode=ro
        with pytest.raises(OperationalError, match="readonly"):
            connection.exec_driver_sql(statement)
        connection.rollback()
        connection.exec_driver_sql("PRAGMA query_only = ON")
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before


@pytest.mark.sqlite_only("PRAGMA query_only; PostgreSQL's read-only transactions: test_postgres.py")
def test_query_only_refuses_writes_on_its_own(app: FastAPI) -> None:
    """The second lock: a fresh connection has ``PRAGMA query_only`` on."""
    with app.state.database.engine().connect() as connection:
        assert connection.exec_driver_sql("PRAGMA query_only").scalar() == 1
        with pytest.raises(OperationalError, match=r"query_only|readonly"):
            connection.exec_driver_sql("DELETE FROM quote")


# --- Request ids and log lines -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("abc-123", True),
        ("3f2b9c1e-2a4d-4e8f-9b1a-0c5d7e6f8a9b", True),
        ("span:01HZX.42/frontend=1+", True),
        ("", False),
        ("a" * 129, False),
        ("has space", False),
        ("-leading-dash", False),
        ('quote"inside', False),
        ("é", False),
    ],
)
async def test_a_sane_request_id_is_kept_anything_else_replaced(
    client: httpx.AsyncClient, sent: str, kept: bool
) -> None:
    response = await client.get("/v1", headers={"X-Request-ID": sent.encode("utf-8")})
    returned = response.headers["x-request-id"]
    if kept:
        assert returned == sent
    else:
        assert returned != sent and len(returned) == 32 and int(returned, 16) >= 0


async def test_a_json_log_line_per_request(client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    responses = [
        await client.get("/v1/quotes/diplomat-tread-very-carefully", headers={"X-Request-ID": "log-1"}),
        await client.head("/v1/entities/kazakhstan"),
        await client.get("/v1/quotes?limit=0"),
        await client.get("/nowhere"),
    ]
    lines: list[dict[str, Any]] = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if '"message": "request"' in line
    ]
    assert [(line["method"], line["route"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/v1/quotes/{quote_id}", "/v1/quotes/diplomat-tread-very-carefully", 200),
        ("HEAD", "/v1/entities/{entity_id}", "/v1/entities/kazakhstan", 200),
        ("GET", "/v1/quotes", "/v1/quotes", 400),
        ("GET", None, "/nowhere", 404),
    ]
    assert [line["request_id"] for line in lines] == [r.headers["x-request-id"] for r in responses]
    assert lines[0]["request_id"] == "log-1"
    for line in lines:
        assert line["level"] == "INFO" and line["logger"] == "article_facts"
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
        assert line["time"]
