"""An article's annotations and reader page against a 50-quote page (issue 10), and what "show article X with its facts
highlighted" costs a front end: calls and bytes, the way it had to be done before the annotations, and after.

    .venv/bin/python benchmarks/annotations.py --db data/bench/synth-100k.sqlite3 [--seconds 10] [--rounds 3]
    .venv/bin/python benchmarks/annotations.py --calls-only --db data/article-facts.sqlite3   # the seeds

One server (uvicorn, one worker, as `make bench` runs ours), `wrk -t2 -c32` per URL after a warm-up, rounds in
rotated order; prints a Markdown table. The busiest article is the one with the most annotations.
"""

import argparse
import sqlite3
import statistics
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DATA, server, start, stop, warm, wrk


def busiest_article(db: Path) -> str:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        sql = "SELECT article_id FROM annotation GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        return str(connection.execute(sql).fetchone()[0])


def front_end_calls(base: str, article: str) -> dict[str, tuple[int, int]]:
    """(calls, bytes) for one article with every fact's spans, before (the article, its facts' lists, each
    entity's detail for its mentions) and after (the article and its annotations)."""

    def fetch(url: str) -> tuple[int, int, Any]:
        response = httpx.get(base + url, timeout=30)
        response.raise_for_status()
        return 1, len(response.content), response.json()

    def pages(url: str) -> tuple[int, int, list[Any]]:
        calls = size = 0
        items: list[Any] = []
        next_url: str | None = url
        while next_url:
            n, b, body = fetch(next_url)
            calls, size, items, next_url = calls + n, size + b, items + body["data"], body["next_url"]
        return calls, size, items

    calls, size, _ = fetch(f"/v1/articles/{article}")
    for name in ("quotes", "pledges", "events", "entities"):
        n, b, items = pages(f"/v1/{name}?article={article}&limit=200")
        calls, size = calls + n, size + b
        if name == "entities":  # mentions came only with each entity's detail
            for entity in items:
                n, b, _ = fetch(entity["url"])
                calls, size = calls + n, size + b
    before = (calls, size)
    a_calls, a_size, _ = fetch(f"/v1/articles/{article}")
    n, b, _ = fetch(f"/v1/articles/{article}/annotations")
    return {"before": before, "after": (a_calls + n, a_size + b)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls-only", action="store_true", help="only the front end's calls and bytes")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    article = busiest_article(args.db)
    srv = server("ours", "annotations", args.db)
    start(srv)
    try:
        base = srv.base
        for when, (calls, size) in front_end_calls(base, article).items():
            print(f"{when}: {calls} calls, {size} bytes (article {article})")
        if args.calls_only:
            return 0
        ld = "Accept: application/ld+json"
        scenarios = {
            "a page of 50 quotes": (f"{base}/v1/quotes?limit=50", None),
            "annotations of the busiest article": (f"{base}/v1/articles/{article}/annotations", None),
            "the same as Web Annotations (JSON-LD)": (f"{base}/v1/articles/{article}/annotations", ld),
            "its reader page (HTML)": (f"{base}/articles/{article}", None),
        }
        sizes = {
            name: len(httpx.get(url, headers=dict([h.split(": ")]) if h else None).content)
            for name, (url, h) in scenarios.items()
        }
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in scenarios}
        names = list(scenarios)
        for round_no in range(args.rounds):
            for name in names[round_no % len(names) :] + names[: round_no % len(names)]:
                url, header = scenarios[name]
                warm(url, 2, header)
                results[name].append(wrk(url, args.seconds, header))
        print(f"\n| URL | bytes | req/s (median of {args.rounds}) | p50 ms | p99 ms | errors |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, runs in results.items():
            median = {key: statistics.median(run[key] for run in runs) for key in ("rps", "p50_ms", "p99_ms")}
            errors = sum(run["errors"] + run["non_2xx_3xx"] for run in runs)
            print(
                f"| {name} | {sizes[name]} | {median['rps']:.0f} | {median['p50_ms']:.1f} | {median['p99_ms']:.1f} "
                f"| {errors} |"
            )
    finally:
        stop(srv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
