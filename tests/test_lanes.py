"""Where a request's reads run (app/lanes.py): inline on the event loop while each statement stays under the
inline budget, else again in the slow lane's threads, so an expensive valid request never holds the loop.

Nothing here measures time: an inline budget of zero interrupts any statement at SQLite's first progress check,
and the slow lane is held open on purpose (the benchmark, docs/performance.md, has the rates under load).
"""

import os
import sys
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from app.backend import Target
from app.lanes import SLOW_LANE_NICE, Lanes
from app.main import create_app
from tests.conftest import StatementCounter, asgi_client
from tests.test_limits import counted

pytestmark = [pytest.mark.anyio, pytest.mark.sqlite_only("the inline budget is SQLite's progress handler")]
URL = "/test/count?n=100000"  # one statement of about a million SQLite instructions


@pytest.fixture
def fresh_app(database: Target) -> FastAPI:
    """A fresh app with a route, in tests only, that runs one statement of chosen cost the way routes do."""
    app = create_app(database)
    app.add_api_route("/test/count", counted)
    return app


async def test_a_request_over_the_inline_budget_is_answered_from_the_slow_lane(fresh_app: FastAPI) -> None:
    lanes: Lanes = fresh_app.state.lanes
    async with asgi_client(fresh_app) as client:
        fresh_app.state.database.info()  # read once per database file, before counting starts
        counter = StatementCounter()
        event.listen(fresh_app.state.database.engine(), "before_cursor_execute", counter)
        lanes.inline_budget_s = 0  # every statement on the loop is interrupted at SQLite's first progress check
        first = await client.get(URL)
        first_statements = len(counter.statements)
        second = await client.get(URL)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() == {"count": 100000}
    # The first try ran its statement inline, interrupted, then again in the lane; the same URL then goes to the
    # lane directly.
    assert (first_statements, len(counter.statements) - first_statements) == (2, 1)
    assert lanes.remembers("/test/count", "n=100000")


async def test_a_remembered_request_that_runs_cheap_in_the_lane_goes_back_to_the_loop(fresh_app: FastAPI) -> None:
    """Say a facet's counts are cached since it first overran: its URL need not wait for a lane thread forever."""
    lanes: Lanes = fresh_app.state.lanes
    async with asgi_client(fresh_app) as client:
        lanes.inline_budget_s = 0
        await client.get(URL)
        assert lanes.remembers("/test/count", "n=100000")
        lanes.inline_budget_s = 60  # far more than the statement's CPU time
        answered = await client.get(URL)
    assert answered.json() == {"count": 100000}
    assert not lanes.remembers("/test/count", "n=100000")


async def test_the_event_loop_serves_cheap_requests_while_the_slow_lane_works(fresh_app: FastAPI) -> None:
    lanes: Lanes = fresh_app.state.lanes
    entered, release = threading.Event(), threading.Event()
    slow = lanes.slow
    order: list[str] = []

    async def held(work: Callable[..., Any], *args: object) -> Any:
        def blocked() -> Any:
            entered.set()
            release.wait(10)  # only if the loop were held would the cheap request below wait for this
            return work(*args)

        return await slow(blocked)

    lanes.slow = held  # type: ignore[method-assign]
    async with asgi_client(fresh_app) as client, anyio.create_task_group() as tasks:

        async def expensive() -> None:
            response = await client.get(URL)
            order.append(f"expensive {response.status_code}")

        lanes.inline_budget_s = 0
        tasks.start_soon(expensive)
        await anyio.to_thread.run_sync(entered.wait, 10)
        lanes.inline_budget_s = 0.5  # cheap requests stay on the loop again
        cheap = await client.get("/v1/entities/antony-blinken")
        order.append(f"cheap {cheap.status_code}")
        release.set()
    assert order == ["cheap 200", "expensive 200"]


@pytest.mark.skipif(sys.platform != "linux", reason="a thread's own nice value is Linux's")
async def test_the_slow_lane_runs_below_the_loop_and_in_the_requests_context(fresh_app: FastAPI) -> None:
    """The lane's threads yield the CPU to the loop (SLOW_LANE_NICE); its work sees the request's context."""
    lanes: Lanes = fresh_app.state.lanes
    marker: ContextVar[str] = ContextVar("marker")
    marker.set("this request")

    def seen() -> tuple[int, str]:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id()), marker.get()

    loop_nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert await lanes.slow(seen) == (min(loop_nice + SLOW_LANE_NICE, 19), "this request")
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == loop_nice
