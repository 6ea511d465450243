"""Can clients repeating an expensive valid request starve a worker? (issue 9, point 1)

    .venv/bin/python benchmarks/starvation.py --db data/bench/synth-1m.sqlite3 [--seconds 8] [--checkout DIR]

One uvicorn worker serves the database (as ``make bench`` runs ours). First a cheap request (an entity's detail)
alone, with ``wrk -t1 -c32`` (``CHEAP_THREADS``); then the same while 2, and then 8, clients repeat the most
expensive valid request of each list (one ``wrk -t1 -cN`` each, started a second before and stopped after).
Prints, per case, the cheap request's rate and p99, its share of the rate alone, and what the expensive requests
got (200s, 503s), and where the worker's event-loop thread spent the cheap run (``/proc/<pid>/task/<tid>/schedstat``):
on a CPU, runnable but waiting for one (the machine's cores taken by other threads: the slow lane, the load
generators, anything else), or asleep (idle in ``epoll``, or waiting for the GIL that a slow-lane thread holds);
with the slow lane's CPU and the machine's busy cores (``/proc/stat``) beside it.
``--checkout`` serves another checkout of the app (e.g. a worktree of an older commit) with this environment.
"""

import argparse
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import CONNECTIONS, DATA, server, start, stop, warm, wrk_figures
from search import lua_script

from app.params import MAX_LIMIT
from app.routers.search import PAGES_KEPT
from app.streaming import Q_PAGES_KEPT

# The most expensive valid request of each list at 1M synthetic quotes (issue 9): a range that matches nothing
# walks a whole index; a common word; a one-letter prefix. The app keeps the last pages with a q (Q_PAGES_KEPT)
# and of search (PAGES_KEPT): those two cycle through more distinct pages than it keeps (a wrk script), so that
# every request reads the index as a new word would (the total of q=the is kept, as for any client's next page).
QUOTES_OF_THE = [f"/v1/quotes?q=the&count=true&limit={n}" for n in range(1, MAX_LIMIT + 1)]
ONE_LETTER = [f"/v1/search?q={letter}&limit={n}" for letter in "tsacpm" for n in range(1, 51)]
assert len(QUOTES_OF_THE) > Q_PAGES_KEPT and len(ONE_LETTER) > PAGES_KEPT
EXPENSIVE: dict[str, str | list[str]] = {
    "quotes, said_on after anything": "/v1/quotes?said_on__gt=2030-01-01&limit=200",
    "quotes, a common word": QUOTES_OF_THE,
    "events, a date range past everything": "/v1/events?date__gte=2100-01-01&limit=200",
    "pledges, above every amount": "/v1/pledges?usd__gte=999999999999&limit=200",
    "search, one letter": ONE_LETTER,
}


# One wrk thread for the cheap request's 32 connections (it keeps one worker busy: 1,281 req/s at 1M against
# 1,246 with 4 connections). With two, on this 2-core machine, the load generator's own threads take the server's
# core away often enough to make its p99 (39 ms with one thread) several hundred ms: a figure about the machine.
CHEAP_THREADS = 1


class Schedule:
    """Where a process's threads spent their time since the snapshot: ``/proc`` schedstat, in ns per thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.started = time.monotonic()
        self.threads = self._threads()
        self.machine = self._machine()

    def _threads(self) -> dict[int, tuple[int, int]]:
        """thread id -> (ns on a CPU, ns runnable waiting for one)."""
        found = {}
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            try:
                on_cpu, waiting, _ = (int(n) for n in (task / "schedstat").read_text().split())
            except (FileNotFoundError, ValueError):  # a thread that ended meanwhile
                continue
            found[int(task.name)] = (on_cpu, waiting)
        return found

    @staticmethod
    def _machine() -> tuple[int, int]:
        """(busy, total) clock ticks of all CPUs."""
        ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = ticks[3] + ticks[4]  # idle, iowait
        return sum(ticks) - idle, sum(ticks)

    def since(self) -> dict[str, float]:
        """Shares of the wall time since the snapshot, of one core (``busy_cores``: of all): the main thread's
        (a server's event loop) on a CPU, waiting for one and asleep; the other threads' (a server's slow lane, a
        wrk's own threads) on a CPU and waiting for one; how busy the machine was."""
        wall_ns = (time.monotonic() - self.started) * 1e9
        before, now = self.threads, self._threads()
        spent = {
            tid: (cpu - before.get(tid, (0, 0))[0], wait - before.get(tid, (0, 0))[1])
            for tid, (cpu, wait) in now.items()
        }
        main_cpu, main_wait = spent.get(self.pid, (0, 0))
        busy, total = (a - b for a, b in zip(self._machine(), self.machine, strict=True))
        return {
            "loop_on_cpu": main_cpu / wall_ns,
            "loop_waiting_for_cpu": main_wait / wall_ns,
            "loop_asleep": 1 - (main_cpu + main_wait) / wall_ns,
            "lane_cpu": sum(cpu for tid, (cpu, _) in spent.items() if tid != self.pid) / wall_ns,
            "threads_waiting_for_cpu": sum(wait for tid, (_, wait) in spent.items() if tid != self.pid) / wall_ns,
            "busy_cores": os.cpu_count() * busy / total if total else 0.0,  # type: ignore[operator]
        }


def cheap_run(url: str, seconds: int, server_pid: int) -> dict[str, Any]:
    """``run.wrk`` for the cheap request, with where the server's threads and the load generator's own spent it."""
    command = ["wrk", f"-t{CHEAP_THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "10s", url]
    server_schedule = Schedule(server_pid)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    client_schedule, client = Schedule(process.pid), {}
    while process.poll() is None:  # read while it runs: its /proc entry goes with it
        time.sleep(0.25)
        with suppress(FileNotFoundError):
            client = client_schedule.since()
    out, _ = process.communicate()
    where = server_schedule.since()
    client_waiting = client.get("loop_waiting_for_cpu", 0.0) + client.get("threads_waiting_for_cpu", 0.0)  # any thread
    return {**wrk_figures(out), **where, "client_waiting_for_cpu": client_waiting}


def busiest_entity(db: Path) -> str:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        sql = "SELECT speaker_id FROM quote GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        return str(connection.execute(sql).fetchone()[0])


def attack(base: str, path: str | list[str], clients: int, seconds: int) -> subprocess.Popen[str]:
    """``clients`` connections repeating ``path``, or cycling through the paths of a list (``search.lua_script``)."""
    command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if isinstance(path, list):
        command += ["-s", str(lua_script(path))]
    command.append(base + (path if isinstance(path, str) else "/"))
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def attack_result(process: subprocess.Popen[str]) -> dict[str, int]:
    out, _ = process.communicate(timeout=120)
    figures = wrk_figures(out)
    return {"requests": figures["requests"], "non_2xx": figures["non_2xx_3xx"]}


def starvation(db: Path, seconds: int, checkout: Path | None = None) -> list[dict[str, Any]]:
    """The cheap request alone, then while 2 and 8 clients repeat each expensive one: a row per case."""
    DATA.mkdir(parents=True, exist_ok=True)
    srv = server("ours", "starvation", db.resolve())
    if checkout:
        srv.command += ["--app-dir", str(checkout.resolve())]
    start(srv)
    rows: list[dict[str, Any]] = []
    try:
        cheap = f"{srv.base}/v1/entities/{busiest_entity(db)}"
        warm(cheap, 2, None)
        assert srv.process is not None
        alone = cheap_run(cheap, seconds, srv.process.pid)
        rows.append({"case": "cheap request alone", "clients": 0, **alone, "share": 1.0})
        for name, path in EXPENSIVE.items():
            # Once alone first, as every URL of make bench is: the pages it reads are in the page cache, so what
            # follows measures the lanes, not the disk (a cold read on the event loop stalls it like a slow query).
            warm(srv.base + (path if isinstance(path, str) else path[0]), 1, None)
            for clients in (2, 8):
                attackers = attack(srv.base, path, clients, seconds + 2)
                time.sleep(1)
                measured = cheap_run(cheap, seconds, srv.process.pid)
                hits = attack_result(attackers)
                share = measured["rps"] / alone["rps"]
                rows.append({"case": name, "clients": clients, **measured, "share": share, "expensive": hits})
    finally:
        stop(srv)
    return rows


def table(rows: list[dict[str, Any]]) -> list[str]:
    """The rows as a Markdown table."""
    lines = [
        "| While clients repeat | clients | cheap req/s | share of alone | cheap p99 ms "
        "| expensive: answers, non-2xx | event loop: on CPU, waiting for a CPU, asleep | slow lane: CPU, waiting "
        "| cheap wrk waiting for a CPU | machine busy cores |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        hits = row.get("expensive", {"requests": "", "non_2xx": ""})
        where = (
            f"{row['loop_on_cpu']:.0%}, {row['loop_waiting_for_cpu']:.0%}, {row['loop_asleep']:.0%} "
            f"| {row['lane_cpu']:.0%}, {row['threads_waiting_for_cpu']:.0%} | {row['client_waiting_for_cpu']:.0%} "
            f"| {row['busy_cores']:.2f}"
            if "loop_on_cpu" in row
            else "not measured | | | "  # a run from before this measurement
        )
        lines.append(
            f"| {row['case']} | {row['clients']} | {row['rps']:.0f} | {row['share']:.2f} | {row['p99_ms']:.1f} "
            f"| {hits['requests']}, {hits['non_2xx']} | {where} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--checkout", type=Path, help="serve the app of this checkout (default: this one)")
    args = parser.parse_args()
    print("\n".join(table(starvation(args.db, args.seconds, args.checkout))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
