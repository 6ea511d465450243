"""Test-only: `article-facts serve` with the real app wrapped so that a test can hold a request where it chooses.

The shutdown and reload tests need requests that are certainly in flight when the signal or the swap comes, and
the API answers in milliseconds; sleeping for a guessed while would make those tests slow and still racy. So a
request sent with ``X-Test-Hold: <point> <name>`` stops at ``<point>``, creates ``<name>.held`` in the hold
folder and waits until the test creates ``<name>.release`` (or ``all.release``) there:

- ``request``: before the app sees the request (it is in flight for the server, no database touched yet);
- ``query``: with its database connection in hand, before its query (the routes are ``async``, so the hold
  awaits in a test-only subclass of the app's lanes, which hand each request its connection, instead of
  blocking the event loop).

Requests without the header are not touched. The product has no such hook: this module wraps ``create_app``
from outside and then runs the real command line, so the server under test is ``article-facts serve`` itself,
with its settings and uvicorn options. Run as ``python -m tests.holding_server HOLD_DIR serve --db ... --port ...``.
"""

import asyncio
import contextvars
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from fastapi import Request
from sqlalchemy import Connection
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import app.main
from app import cli
from app.lanes import Lanes

HEADER = "x-test-hold"
MAX_HOLD_S = 30  # a forgotten release must not hang a test run
T = TypeVar("T")


class Hold:
    """One request's hold: announced by ``<name>.held``, ended by ``<name>.release`` or ``all.release``."""

    def __init__(self, folder: Path, name: str) -> None:
        self.held = folder / f"{name}.held"
        self.releases = (folder / f"{name}.release", folder / "all.release")
        self.deadline = time.monotonic() + MAX_HOLD_S
        self.happened = False

    def begin(self) -> None:
        self.happened = True
        self.held.touch()

    def released(self) -> bool:
        return any(path.exists() for path in self.releases) or time.monotonic() > self.deadline


HOLD_WITH_CONNECTION: contextvars.ContextVar[Hold | None] = contextvars.ContextVar("hold_with_connection", default=None)


class Holding:
    def __init__(self, inner: ASGIApp, folder: Path) -> None:
        self.inner = inner
        self.folder = folder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        value = Headers(scope=scope).get(HEADER) if scope["type"] == "http" else None
        if value is None:
            await self.inner(scope, receive, send)
            return
        point, name = value.split()
        assert point in ("request", "query") and re.fullmatch(r"[a-z0-9-]+", name), value
        hold = Hold(self.folder, name)
        if point == "request":
            hold.begin()
            while not hold.released():
                await asyncio.sleep(0.01)
        else:
            HOLD_WITH_CONNECTION.set(hold)

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Tells the test that the hold really happened (and where), so it cannot pass by accident.
                outcome = b"held" if hold.happened else b"not-held"
                message = {**message, "headers": [*message["headers"], (b"x-test-hold", outcome)]}
            await send(message)

        await self.inner(scope, receive, send_marked)


class HoldingLanes(Lanes):
    """The app's lanes, but a ``query`` request, with its connection (to the file being served when it arrived) in
    hand and its SQL still to run, first waits for its release."""

    async def run(self, request: Request, work: Callable[[Connection], T]) -> T:
        hold = HOLD_WITH_CONNECTION.get()
        if hold is None:
            return await super().run(request, work)
        with self.database.engine().connect() as connection:
            hold.begin()
            while not hold.released():
                await asyncio.sleep(0.01)
            return await super().run(request, lambda _later: work(connection))


def command(holds: Path, db: Path) -> list[str]:
    """The command line of `article-facts serve --db DB` run through this module (``running_server`` adds the port)."""
    seeds = Path(__file__).resolve().parent / "seeds"  # the suite's own corpus, never the curated seeds/
    return [sys.executable, "-m", "tests.holding_server", str(holds), "serve", "--db", str(db), "--seeds", str(seeds)]


def main() -> int:
    folder = Path(sys.argv[1])
    create_app = app.main.create_app

    def holding_app(db_path: Path | None = None) -> Holding:
        inner = create_app(db_path)
        inner.state.lanes = HoldingLanes(inner.state.database)
        return Holding(inner, folder)

    app.main.create_app = holding_app  # type: ignore[assignment]
    return cli.main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
