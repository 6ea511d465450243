"""Where a request's SQL runs: on the event loop while it is cheap, in the slow lane when it is not.

Nearly every request is a few indexed reads that take well under a millisecond, less than a hop to a thread and
back would cost, so they run inline on the event loop. But a valid request can be expensive (a date range that
matches nothing walks an index; a common word in ``q``), and run on the loop it would stall every other request
of the worker for as long as it runs. So on SQLite each request first runs inline with each statement under a
short budget of CPU time (``inline_budget_ms``, CPU time so that a busy machine delaying a cheap statement does
not count); a statement that overruns it is interrupted (``Overtime``), and the whole
request runs again in the slow lane: at most ``slow_lane_threads`` threads, each statement under the full
``query_timeout_ms``. SQLite releases the GIL while it steps a statement, so meanwhile the loop goes on serving
the cheap requests; on Linux the lane's threads run at a lower priority (``SLOW_LANE_NICE``), so that on a busy
machine the CPU goes to the loop first. A request that overran once (same path and query string) goes to the
lane directly the next time, so a client repeating an expensive request costs the loop one interrupted try, not
one per request; once it runs cheap in the lane (its counts cached since), it goes back to the loop.

On PostgreSQL every request runs in a thread (anyio's default pool): each statement is a network round trip that
would otherwise block the loop, and the server enforces ``statement_timeout`` itself.

The lanes also hand each request its pooled connection, rather than a FastAPI dependency: a dependency that
yields costs its exit stack and shielded teardown, a seventh of a list page's CPU (docs/performance.md).
"""

import asyncio
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar, copy_context
from functools import partial
from typing import TypeVar

import anyio
from fastapi import Request
from sqlalchemy import Connection

from app.backend import ServedDatabase
from app.settings import get_settings

# The statement budget in force for the current request, in seconds; None: the full ``query_timeout_ms``.
# ``QueryBudget`` (app/db.py) reads it as each statement starts; a slow-lane thread (and anyio's, on PostgreSQL)
# runs in a copy of the request's context, where the inline budget has already been reset.
INLINE_BUDGET: ContextVar[float | None] = ContextVar("inline_budget", default=None)
T = TypeVar("T")
# The slow lane's threads' nice value (Linux, per thread): when the lane's statements and the loop want more CPU
# than the machine has, the loop's cheap requests come first (one-letter searches from 8 clients at 1M: the cheap
# request kept 0.49 of its rate alone, the loop waiting for a CPU 28% of the time; 0.85 and 3% at nice 10).
SLOW_LANE_NICE = 10


class Overtime(Exception):
    """A statement overran the inline budget: the request goes to the slow lane."""


class Lanes:
    """One worker's lanes: the inline budget, the slow lane's threads and the requests known to need them."""

    def __init__(self, database: ServedDatabase, remembered: int = 1024) -> None:
        settings = get_settings()
        self.database = database
        self.inline = database.inline
        self.inline_budget_s = settings.inline_budget_ms / 1000
        self.threads = settings.slow_lane_threads
        self._pool: ThreadPoolExecutor | None = None  # made on first use: most workers never need it
        self._slow: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._remembered = remembered

    async def run(self, request: Request, work: Callable[[Connection], T]) -> T:
        """``work(connection)`` (a request's reads and rendering) on a pooled connection to the file served now,
        inline if it stays cheap, else in the slow lane."""
        with self.database.engine().connect() as connection:
            return await self._run(request, partial(work, connection))

    async def _run(self, request: Request, work: Callable[[], T]) -> T:
        if not self.inline:
            return await anyio.to_thread.run_sync(work)
        key = (request.url.path, request.url.query)
        if key not in self._slow:
            token = INLINE_BUDGET.set(self.inline_budget_s)
            try:
                return work()
            except Overtime:
                self._remember(key)
            finally:
                INLINE_BUDGET.reset(token)
        result, cpu_s = await self.slow(partial(_timed, work))
        if cpu_s < self.inline_budget_s:  # cheap now (say its counts are cached): back to the loop next time
            self._slow.pop(key, None)
        return result

    async def slow(self, work: Callable[..., T], *args: object) -> T:
        """``work(*args)`` in the slow lane, each statement under the full budget. Requests beyond its threads
        wait their turn without holding the loop; one cancelled meanwhile (its client gone) still waits for its work
        to end, as with anyio's threads, so that its connection is never given back while a thread uses it."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, "slow-lane", initializer=_lower_priority)
        done = asyncio.wrap_future(self._pool.submit(copy_context().run, work, *args))
        with anyio.CancelScope(shield=True):
            result = await done
        return result

    def remembers(self, path: str, query: str) -> bool:
        """Whether requests for ``path?query`` go to the slow lane directly."""
        return (path, query) in self._slow

    def _remember(self, key: tuple[str, str]) -> None:
        self._slow[key] = None
        if len(self._slow) > self._remembered:
            self._slow.popitem(last=False)


def _lower_priority() -> None:
    """A slow-lane thread's start: its own nice value raised to SLOW_LANE_NICE (Linux's nice is per thread)."""
    if sys.platform == "linux":
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), SLOW_LANE_NICE)


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    """``work()`` and the CPU time it took on this thread."""
    start = time.thread_time()
    result = work()
    return result, time.thread_time() - start


async def served(request: Request, work: Callable[[Connection], T]) -> T:
    """Run a route's database work, ``work(connection)``, in the right lane (see the module docstring)."""
    lanes: Lanes = request.app.state.lanes
    return await lanes.run(request, work)
