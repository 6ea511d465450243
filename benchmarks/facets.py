"""Facets on a synthetic corpus: `facet=speaker` with and without a filter, cold and cached, beside the same page
without facets, and Datasette's `_facet=speaker_id` on the same file and query.

    .venv/bin/python benchmarks/facets.py --db data/bench/synth-100k.sqlite3 [--seconds 5] [--starts 3] [--no-datasette]

Prints (and writes to ``benchmarks/results/facets-latest.json``): for each query, the time of its first request
on a freshly started server, the median of 3 (cold: our count cache empty, the OS file cache warm), and wrk's
req/s once it has been asked (cached: ours keeps the counts per dataset version; Datasette counts on every
request). The servers are those of ``benchmarks/run.py`` (uvicorn, one worker each); Datasette needs
``make .venv-bench/.installed``.
"""

import argparse
import json
import sqlite3
import statistics
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BENCH_BIN, RESULTS, server, start, stop, wrk


def queries(path: Path) -> dict[str, dict[str, str | None]]:
    """name -> {server: URL}: a 50-quote page with facet=speaker, unfiltered and filtered, and the same pages bare."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        mentioned = db.execute(
            "SELECT entity_id FROM quote_mention GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchone()[0]
    table = f"/{path.stem}/quote.json"
    # Datasette's own default page order is by rowid; ours is by said_on: both sort by said_on so each reads the
    # same 50 rows. _nosuggest: Datasette would also try other columns as facets, work we do not do.
    dataset = f"{table}?_sort=said_on_earliest&_size=50&_nosuggest=1"
    return {
        "page, no facet": {"ours": "/v1/quotes?limit=50", "datasette": dataset},
        "facet=speaker": {"ours": "/v1/quotes?limit=50&facet=speaker", "datasette": f"{dataset}&_facet=speaker_id"},
        "kind=indirect, no facet": {
            "ours": "/v1/quotes?limit=50&kind=indirect",
            "datasette": f"{dataset}&kind=indirect",
        },
        "kind=indirect&facet=speaker": {
            "ours": "/v1/quotes?limit=50&kind=indirect&facet=speaker",
            "datasette": f"{dataset}&kind=indirect&_facet=speaker_id",
        },
        f"mentions={mentioned}&facet=speaker": {
            "ours": f"/v1/quotes?limit=50&mentions={mentioned}&facet=speaker",
            "datasette": None,  # a filter through a link table, which Datasette's table page lacks
        },
    }


def first_request(url: str) -> dict[str, Any]:
    started = time.perf_counter()
    response = httpx.get(url, timeout=60)
    elapsed = time.perf_counter() - started
    body = response.json()
    # Datasette 0.6x has `facet_results` by name; 1.0 nests them under `results`.
    found = body.get("facets") or body.get("facet_results", {}).get("results") or body.get("facet_results") or {}
    timed_out = body.get("facets_timed_out", [])
    ms = round(elapsed * 1000, 1)
    return {"status": response.status_code, "ms": ms, "facets": sorted(found), "timed_out": timed_out}


def read_through(path: Path) -> None:
    """The whole file into the OS cache, so that each server's first requests find it as warm as the other's."""
    with open(path, "rb") as file:
        while file.read(16 << 20):
            pass


def measure(target: str, path: Path, urls: dict[str, str | None], seconds: int, starts: int) -> dict[str, Any]:
    """Cold: each query's first request on a freshly started server (after two requests of another kind, which pay
    for what any first request of the process would), the median of ``starts`` servers (one request is at the
    mercy of whatever else the shared machine does). Cached: wrk on the last server, every query asked once."""
    read_through(path)
    asked = {name: url for name, url in urls.items() if url is not None}
    colds: dict[str, list[dict[str, Any]]] = {name: [] for name in asked}
    results: dict[str, Any] = {}
    for round_no in range(starts):
        srv = server(target, "facets", path)
        start(srv)
        try:
            for warm in (
                ("/v1/entities?limit=2", "/v1/quotes?limit=2&sort=-id") if target == "ours" else ("/-/versions.json",)
            ):
                httpx.get(srv.base + warm, timeout=60)
            for name, url in asked.items():
                colds[name].append(first_request(srv.base + url))
            if round_no == starts - 1:
                for name, url in asked.items():
                    results[name] = {"cached": wrk(srv.base + url, seconds, None)}
        finally:
            stop(srv)
    for name, runs in colds.items():
        results[name]["cold"] = {
            **runs[0],
            "ms": statistics.median(run["ms"] for run in runs),
            "runs_ms": [run["ms"] for run in runs],
        }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--starts", type=int, default=3, help="servers started for the cold figures (median)")
    parser.add_argument("--no-datasette", action="store_true")
    args = parser.parse_args()
    path = args.db.resolve()
    urls = queries(path)
    results: dict[str, Any] = {"db": str(args.db), "queries": urls}
    results["ours"] = measure(
        "ours", path, {name: pair["ours"] for name, pair in urls.items()}, args.seconds, args.starts
    )
    if not args.no_datasette and (BENCH_BIN / "uvicorn").exists():
        results["datasette"] = measure(
            "datasette", path, {name: pair["datasette"] for name, pair in urls.items()}, args.seconds, args.starts
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "facets-latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
