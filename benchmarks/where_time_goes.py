"""Where a request's time goes: py-spy samples of one worker under load, grouped into the layers of a request.

    .venv/bin/python benchmarks/where_time_goes.py --db data/bench/synth-1m.sqlite3 [--url PATH] [--seconds 10]

Serves the database as ``make bench`` does (one uvicorn worker), drives ``--url`` with ``wrk -t2 -c32`` and, at
the same time, records the worker with ``py-spy`` (from ``.venv-bench``; it needs to ptrace the server, as root
or with ``kernel.yama.ptrace_scope`` 0). Each sample is charged to the layer of its innermost Python frame
(``LAYERS``; the C work of SQLite shows as the SQLAlchemy frame that called it); the shares times the CPU the
worker spent per request give microseconds per request and layer. Prints a Markdown table.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BENCH_BIN, DATA, cpu_seconds, scenarios, server, start, stop, warm, wrk_figures

# (layer, what the innermost frame's "function (file)" contains): the first match wins.
LAYERS = [
    ("SQLite itself (C: stepping statements, reading rows)", ("fetchall (sqlalchemy", "do_execute (sqlalchemy")),
    ("SQLite itself (C: stepping statements, reading rows)", ("<lambda> (app/db.py",)),  # the progress handler
    ("HTTP server (uvicorn: parsing, socket reads and writes)", ("uvicorn/", "asyncio/", "uvloop", "httptools")),
    ("middleware (ours, CORS, compression)", ("app/middleware.py", "starlette/middleware/", "starlette_compress")),
    ("routing and dispatch (FastAPI, Starlette)", ("fastapi/routing.py", "starlette/routing.py", "fastapi/app")),
    ("parameters (FastAPI dependencies, pydantic validation)", ("fastapi/dependencies", "pydantic", "app/params.py")),
    ("SQLAlchemy (statement execution, result objects)", ("sqlalchemy/",)),
    ("responses (JSON, headers)", ("app/responses.py", "starlette/responses.py", "starlette/datastructures.py")),
    ("our request code (lanes, listing, formats, render)", ("app/",)),
]
OTHER = "other (standard library, anyio, FastAPI's exception handling)"


def layer(frame: str) -> str:
    for name, needles in LAYERS:
        if any(needle in frame for needle in needles):
            return name
    return OTHER


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--url", help="path and query (default: scenario (a) of make bench)")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    url = args.url or scenarios(args.db, "profile")["ours"]["a"].path
    srv = server("ours", "profile", args.db.resolve())
    start(srv)
    assert srv.process is not None
    try:
        warm(srv.base + url, 2, None)
        load = subprocess.Popen(
            ["wrk", "-t2", "-c32", f"-d{args.seconds + 2}s", "--latency", srv.base + url],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(1)
        with tempfile.NamedTemporaryFile(suffix=".txt") as raw:
            before = cpu_seconds(srv.process.pid)
            spy = [str(BENCH_BIN / "py-spy"), "record", "-p", str(srv.process.pid), "-d", str(args.seconds)]
            subprocess.run([*spy, "-r", "200", "-f", "raw", "-o", raw.name], check=True, capture_output=True)
            cpu = cpu_seconds(srv.process.pid) - before
            samples: Counter[str] = Counter()
            for line in Path(raw.name).read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                samples[layer(stack.split(";")[-1])] += int(count)
        figures = wrk_figures(load.communicate(timeout=60)[0])
    finally:
        stop(srv)
    rate = figures["rps"]
    per_request_ms = 1000 * cpu / max(rate * args.seconds, 1)
    total = sum(samples.values())
    print(f"`{url}`: {rate:.0f} req/s, {per_request_ms:.3f} ms CPU per request, {total} samples\n")
    print("| layer | share of samples | µs per request |")
    print("| --- | ---: | ---: |")
    for name, count in samples.most_common():
        print(f"| {name} | {count / total:.1%} | {1000 * per_request_ms * count / total:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
