"""Search against Datasette's raw FTS5 query at its best (issue 9, point 4).

    .venv/bin/python benchmarks/search.py --db data/bench/synth-1m.sqlite3 [--seconds 5] [--rounds 2]

One uvicorn worker each (as ``make bench`` runs them; Datasette from ``.venv-bench``, the file opened immutable).
Ours: ``/v1/search?q=`` and ``q=`` within a list (``/v1/quotes``), 50 results. Datasette: the query a Datasette
user would save, ``select rowid, * from search_index where search_index match :q limit 50``, as a canned query
and as ``?sql=``, both with ``_shape=array``. Each URL for a common word and a type-ahead prefix, and a rotating
variant: a wrk Lua script cycles through ``len(ROTATING)`` different queries (each thread from its own offset),
so no cache of either server sees the same query twice within hundreds of requests. For each: ``wrk -t2 -c32``
after a warm-up, req/s, p50/p99, and the server's CPU ms per request (``/proc``, which a shared machine disturbs
less than the rate). Rounds alternate the servers' order. Raw figures go to ``--out`` (JSON).
"""

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (
    CONNECTIONS,
    DATA,
    RESULTS,
    THREADS,
    Server,
    commit,
    cpu_seconds,
    drain,
    server,
    start,
    stop,
    versions,
    warm,
    wrk_figures,
)

from tools.synth import COMMON_WORD, PREFIX
from tools.synth.vocabulary import CONTENT_WORDS

SQL = "select rowid, * from search_index where search_index match :q limit 50"  # datasette_app.SEARCH
LIMIT = 50
WARMUP_QUERIES = 20  # of the rotating list: asked before measuring, then never again


def rotating(count: int = 1200, seed: int = 0) -> list[str]:
    """Plain-text queries as a user types them: common words, their first 3 or 4 letters, and pairs of words."""
    rng = random.Random(seed)
    words = sorted(set(CONTENT_WORDS))
    single = words + sorted({w[:3] for w in words} | {w[:4] for w in words})
    pairs = [f"{a} {b}" for a in words for b in words if a != b]
    rng.shuffle(pairs)
    queries = single + pairs[: max(0, count - len(single))]
    rng.shuffle(queries)
    return queries


def fts5(text: str) -> str:
    """The FTS5 query a Datasette user would write for ``text``: the last word as a prefix, as ours matches it."""
    return text + "*"


def urls(name: str) -> dict[str, dict[str, Any]]:
    """target -> scenario -> one path or a list of paths (rotating)."""
    words = rotating()
    sql = f"/{name}.json?sql={quote(SQL)}&_shape=array&q="
    canned = f"/{name}/search.json?_shape=array&q="
    return {
        "ours": {
            "search common": f"/v1/search?q={COMMON_WORD}&limit={LIMIT}",
            "search prefix": f"/v1/search?q={PREFIX}&limit={LIMIT}",
            "search rotating": [f"/v1/search?q={quote(w)}&limit={LIMIT}" for w in words],
            "list q common": f"/v1/quotes?q={COMMON_WORD}&limit={LIMIT}",
            "list q prefix": f"/v1/quotes?q={PREFIX}&limit={LIMIT}",
            "list q rotating": [f"/v1/quotes?q={quote(w)}&limit={LIMIT}" for w in words],
        },
        "datasette": {
            "canned common": canned + COMMON_WORD,
            "canned prefix": canned + quote(fts5(PREFIX)),
            "canned rotating": [canned + quote(fts5(w)) for w in words],
            "sql common": sql + COMMON_WORD,
            "sql prefix": sql + quote(fts5(PREFIX)),
        },
    }


LUA = """
local paths = {%s}
local made, i = 0, 0
function setup(thread)
  -- runs in the main Lua state, once per thread: each thread starts its own stretch of the list
  thread:set("start", made * %d)
  made = made + 1
end
function request()
  i = i + 1
  return wrk.format("GET", paths[(((start or 0) + i) %% #paths) + 1])
end
"""


def lua_script(paths: list[str]) -> Path:
    """A wrk script cycling through ``paths``; its threads start ``len(paths) / threads`` apart."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, dir=DATA) as handle:
        handle.write(LUA % (",".join(json.dumps(p) for p in paths), len(paths) // THREADS))
    return Path(handle.name)


def measure(srv: Server, scenario: str, target: str | list[str], seconds: int) -> dict[str, Any]:
    assert srv.process is not None
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if isinstance(target, list):
        warmup, measured = target[:WARMUP_QUERIES], target[WARMUP_QUERIES:]
        for path in warmup:  # warm the code paths with queries that the measured run never asks (no cache hit)
            httpx.get(srv.base + path, timeout=60)
        script = lua_script(measured)
        command += ["-s", str(script)]
        url = srv.base + "/"
    else:
        script = None
        url = srv.base + target
        warm(url, 2, None)
    before = cpu_seconds(srv.process.pid)
    out = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    drained = drain(srv.process.pid, 30)
    cpu = cpu_seconds(srv.process.pid) - before
    if script:
        script.unlink()
    figures = wrk_figures(out)
    served = figures["requests"] + CONNECTIONS + figures["timeouts"]
    row = {
        "target": srv.target,
        "scenario": scenario,
        **figures,
        "cpu_ms_per_request": round(1000 * cpu / max(served, 1), 3),
        "drained": drained,
    }
    print(
        f"  {srv.target:9} {scenario:16} {row['rps']:8.1f} req/s p50 {row['p50_ms']:7.2f} p99 {row['p99_ms']:8.2f} ms"
        f" cpu {row['cpu_ms_per_request']:.3f} ms/req non-2xx {row['non_2xx_3xx']}",
        file=sys.stderr,
    )
    return row


def check(srv: Server, paths: dict[str, Any]) -> dict[str, Any]:
    """Status, number of results and bytes of each fixed URL, before measuring."""
    found = {}
    for scenario, path in paths.items():
        if isinstance(path, list):
            path = path[0]
        response = httpx.get(srv.base + path, timeout=60)
        body = response.json() if response.status_code == 200 else None
        rows = body["data"] if isinstance(body, dict) else body
        found[scenario] = {"status": response.status_code, "rows": len(rows or []), "bytes": len(response.content)}
    return found


def datasette(db: Path) -> Server:
    return server("datasette", "search", db)  # with its canned query, datasette_app.SEARCH


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", choices=["ours", "datasette"], help="measure one server only")
    parser.add_argument("--out", type=Path, default=RESULTS / "search-latest.json")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    db = args.db.resolve()
    plan = urls(db.stem)
    makers = {"ours": lambda: server("ours", "search", db), "datasette": lambda: datasette(db)}
    targets = [args.only] if args.only else ["ours", "datasette"]
    rows: list[dict[str, Any]] = []
    checks: dict[str, Any] = {}
    load = []
    for round_no in range(1, args.rounds + 1):
        order = targets if round_no % 2 else targets[::-1]
        for target in order:
            srv = makers[target]()
            start(srv)
            try:
                checks.setdefault(target, check(srv, plan[target]))
                for scenario, path in plan[target].items():
                    load.append(Path("/proc/loadavg").read_text().split()[0])
                    rows.append({"round": round_no, **measure(srv, scenario, path, args.seconds)})
            finally:
                stop(srv)
    results = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "db": str(db),
        "commit": commit(),
        "versions": versions(),
        "load_average_1m": load,
        "seconds": args.seconds,
        "wrk": f"wrk -t{THREADS} -c{CONNECTIONS} -d{args.seconds}s --latency --timeout 10s [-s rotating.lua] URL",
        "datasette_sql": SQL,
        "rotating_queries": len(rotating()),
        "urls": {
            t: {s: p if isinstance(p, str) else f"{len(p)} paths, e.g. {p[0]}" for s, p in u.items()}
            for t, u in plan.items()
        },
        "checks": checks,
        "runs": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(summary(rows))
    return 0


def summary(rows: list[dict[str, Any]]) -> str:
    """A Markdown table: each scenario's runs (req/s, p50/p99, CPU ms per request), one figure per round."""
    lines = ["| Server | Scenario | req/s | p50 / p99 ms | CPU ms/request |", "| --- | --- | --- | --- | --- |"]
    for target, scenario in dict.fromkeys((r["target"], r["scenario"]) for r in rows):
        runs = [r for r in rows if (r["target"], r["scenario"]) == (target, scenario)]
        rates = ", ".join(f"{r['rps']:.0f}" for r in runs)
        latency = ", ".join(f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f}" for r in runs)
        cpu = ", ".join(f"{r['cpu_ms_per_request']:.2f}" for r in runs)
        lines.append(f"| {target} | {scenario} | {rates} | {latency} | {cpu} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
