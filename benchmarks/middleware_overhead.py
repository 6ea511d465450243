"""What the request-bounding middlewares cost per request, in process (no server, no network).

First the three middlewares alone, driven directly around an app that answers at once (the precise figure).
Then the same requests through ``httpx.ASGITransport`` to the app as served and to the same app without
``Envelope`` (request id, security headers, access log, last-resort 500), ``RequestLimits`` and
``ConcurrencyLimit``, in alternating rounds, and prints the median CPU time per request of each (process time,
so other work on a shared machine counts less than in wall time) and the difference. The access log line is
measured apart (log level WARNING silences it).

    .venv/bin/python benchmarks/middleware_overhead.py [--requests 2000] [--rounds 7]

The "without" app also loses the security headers, which the app had before these middlewares: the difference
is an upper bound on what the middlewares added.
"""

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.loader import load
from app.main import create_app
from app.middleware import ConcurrencyLimit, Envelope, RequestLimits
from app.settings import PROJECT_ROOT

ADDED = (Envelope, RequestLimits, ConcurrencyLimit)
URLS = {
    "revalidation (304, no SQL)": "/v1/quotes/diplomat-tread-very-carefully",
    "item (200)": "/v1/quotes/diplomat-tread-very-carefully",
    "list of 10 (200)": "/v1/quotes?limit=10",
}


def without_added(app: FastAPI) -> FastAPI:
    app.user_middleware = [m for m in app.user_middleware if m.cls not in ADDED]
    return app


async def per_request(app: FastAPI, url: str, headers: dict[str, str], n: int) -> float:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for _ in range(50):  # warm up: compiled statements, caches
            await client.get(url, headers=headers)
        start = time.process_time()  # CPU time of this process: other work on the machine does not count
        for _ in range(n):
            await client.get(url, headers=headers)
        return (time.process_time() - start) / n


async def _ok(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b"{}"})


async def _ignore(message: Message) -> None:
    pass


async def _nothing() -> Message:
    return {"type": "http.request", "body": b""}


async def direct(app: ASGIApp, n: int) -> float:
    """Seconds per request through ``app`` driven directly: no client, no transport, a browser-like scope."""
    headers = [(b"host", b"api.example"), (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")]
    headers += [(b"accept", b"application/json"), (b"accept-language", b"en"), (b"accept-encoding", b"gzip, br")]
    headers += [(b"origin", b"https://news.example"), (b"referer", b"https://news.example/"), (b"dnt", b"1")]
    start = time.perf_counter()
    for _ in range(n):
        scope = {"type": "http", "method": "GET", "path": "/v1/quotes", "raw_path": b"/v1/quotes"}
        scope |= {"query_string": b"limit=10", "headers": headers}
        await app(scope, _nothing, _ignore)
    return (time.perf_counter() - start) / n


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    db = Path(tempfile.mkdtemp()) / "facts.sqlite3"
    load(PROJECT_ROOT / "seeds", db)
    apps = {"served": create_app(db), "without": without_added(create_app(db))}
    logger = logging.getLogger("article_facts")
    devnull = open(os.devnull, "w")  # noqa: SIM115  the log lines are formatted and written, to nowhere

    stack = Envelope(RequestLimits(ConcurrencyLimit(_ok, 64), 4096, 8192, 64), docs_paths=("/docs",))
    logger.setLevel("INFO")
    rounds: dict[str, list[float]] = {"bare": [], "stack": [], "stack, no log line": []}
    stderr, sys.stderr = sys.stderr, devnull
    try:
        for _ in range(args.rounds):
            logger.setLevel("INFO")
            rounds["bare"].append(await direct(_ok, args.requests * 10))
            rounds["stack"].append(await direct(stack, args.requests * 10))
            logger.setLevel("WARNING")
            rounds["stack, no log line"].append(await direct(stack, args.requests * 10))
    finally:
        sys.stderr = stderr
    bare, full, quiet = (statistics.median(rounds[k]) * 1e6 for k in rounds)
    print(f"The three middlewares alone, around an app that answers at once ({args.requests * 10} requests x")
    print(f"{args.rounds} rounds, median): {full - bare:.1f} µs per request, of which the log line")
    print(f"{full - quiet:.1f} µs ({quiet - bare:.1f} µs with the log level above INFO).\n")

    print(f"{args.rounds} rounds x {args.requests} requests, median CPU time per request (µs)\n")
    print(f"{'request':30} {'served':>8} {'without':>8} {'added':>7} {'added, no log line':>19}")
    for label, url in URLS.items():
        headers = {}
        if label.startswith("revalidation"):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["without"]), base_url="http://b") as c:
                headers = {"If-None-Match": (await c.get(url)).headers["etag"]}
        times: dict[str, list[float]] = {"served": [], "without": [], "served, no log": []}
        for _ in range(args.rounds):
            stderr, sys.stderr = sys.stderr, devnull
            try:
                logger.setLevel("INFO")
                times["served"].append(await per_request(apps["served"], url, headers, args.requests))
                times["without"].append(await per_request(apps["without"], url, headers, args.requests))
                logger.setLevel("WARNING")
                times["served, no log"].append(await per_request(apps["served"], url, headers, args.requests))
            finally:
                sys.stderr = stderr
        served, without, quiet = (statistics.median(times[k]) * 1e6 for k in times)
        print(f"{label:30} {served:8.1f} {without:8.1f} {served - without:7.1f} {quiet - without:19.1f}")


if __name__ == "__main__":
    asyncio.run(main())
