"""Representations, field selection, compression and streamed exports on a synthetic corpus, one server.

    .venv/bin/python benchmarks/formats.py --db data/bench/synth-100k.sqlite3 [--seconds 10]

Prints (and writes to ``benchmarks/results/formats-latest.json``): wrk req/s of a 50-quote page as JSON, CSV,
NDJSON, with ``fields=``, and gzip/zstd-compressed; the bytes of that page in each form; and a streamed export
of every quote as NDJSON and as CSV: items/s and the server's resident memory before and at the peak during the
stream. The server is ``uvicorn app.main:create_app`` with one worker, as in ``benchmarks/run.py``. When
``.venv-bench`` is set up (``make .venv-bench/.installed``), Datasette streams the same table as CSV
(``quote.csv?_stream=on``) from the same file, one worker too, for comparison.
"""

import argparse
import json
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BENCH_BIN, RESULTS, memory, server, start, stop, wrk

PAGE = "/v1/quotes?limit=50"
PAGES = {
    "json": (PAGE, None),
    "csv": (PAGE + "&format=csv", None),
    "ndjson": (PAGE + "&format=ndjson", None),
    "json fields=id,text,speaker": (PAGE + "&fields=id,text,speaker", None),
    "json gzip": (PAGE, "Accept-Encoding: gzip"),
    "json zstd": (PAGE, "Accept-Encoding: zstd"),
}
SIZES = {
    "json": (PAGE, "identity"),
    "json fields=id,text,speaker": (PAGE + "&fields=id,text,speaker", "identity"),
    "json fields=id": (PAGE + "&fields=id", "identity"),
    "csv": (PAGE + "&format=csv", "identity"),
    "ndjson": (PAGE + "&format=ndjson", "identity"),
    "json gzip": (PAGE, "gzip"),
    "json br": (PAGE, "br"),
    "json zstd": (PAGE, "zstd"),
    "json fields=id,text,speaker zstd": (PAGE + "&fields=id,text,speaker", "zstd"),
}


def wire_bytes(base: str, path: str, coding: str) -> int:
    with httpx.stream("GET", base + path, headers={"Accept-Encoding": coding}, timeout=60) as response:
        assert response.status_code == 200, path
        return sum(len(chunk) for chunk in response.iter_raw())


def stream(url: str, pid: int, header: bool, rows: int | None = None) -> dict[str, Any]:
    """Every quote, streamed from ``url``, while a thread samples the server's memory every 50 ms. The items are
    counted by line ends, or are ``rows`` when quoted line ends inside values would overcount them."""
    before = memory(pid)["rss_mib"]
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], memory(pid)["rss_mib"])
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    lines = size = 0
    with httpx.stream("GET", url, headers={"Accept-Encoding": "identity"}, timeout=600) as response:
        for chunk in response.iter_bytes():
            lines += chunk.count(b"\n")
            size += len(chunk)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    items = lines - (1 if header else 0)  # CSV: the header
    if rows is not None:
        assert items >= rows, f"{url}: {items} lines for {rows} rows"
        items = rows
    return {
        "items": items,
        "bytes": size,
        "seconds": round(elapsed, 2),
        "items_per_s": round(items / elapsed),
        "rss_before_mib": before,
        "rss_peak_mib": peak[0],
        "rss_growth_mib": round(peak[0] - before, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    srv = server("ours", "formats", args.db.resolve())
    start(srv)
    assert srv.process is not None
    results: dict[str, Any] = {"db": str(args.db), "pages": {}, "bytes": {}, "streams": {}}
    try:
        for name, (path, coding) in SIZES.items():
            results["bytes"][name] = wire_bytes(srv.base, path, coding)
        for name, (path, header) in PAGES.items():
            wrk(srv.base + path, 2, header)  # warm-up
            results["pages"][name] = wrk(srv.base + path, args.seconds, header)
        for fmt in ("ndjson", "csv"):
            url = f"{srv.base}/v1/quotes?format={fmt}&stream=true"
            results["streams"][fmt] = stream(url, srv.process.pid, fmt == "csv")
    finally:
        stop(srv)
    if (BENCH_BIN / "uvicorn").exists():  # Datasette's own CSV stream of the same table, when .venv-bench is set up
        peer = server("datasette", "formats", args.db.resolve())
        start(peer)
        assert peer.process is not None
        try:
            # At its best: without the two columns that hold what our API sends (the stored JSON and CSV row), and
            # with no cap on a CSV's size (datasette_app.py: its default cap, 100 MB, cut the 1M stream short).
            url = f"{peer.base}/{args.db.stem}/quote.csv?_stream=on&_size=max&_nocol=doc&_nocol=csv"
            with sqlite3.connect(f"file:{args.db}?mode=ro", uri=True) as connection:
                (rows,) = connection.execute("SELECT count(*) FROM quote").fetchone()
            results["streams"]["datasette csv"] = stream(url, peer.process.pid, True, rows)
        finally:
            stop(peer)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "formats-latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
