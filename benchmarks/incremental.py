"""A full rebuild against a load of one changed article, on a seeds tree of about 100k quotes.

    .venv/bin/python benchmarks/incremental.py [--quotes 100000] [--work data/bench/incremental] [--runs 2]

``tools.synth`` writes its rows straight into a database (it never makes seed files), so it cannot feed
``article-facts load``. The seeds tree here is made of copies of the fixture corpus's curated article
(tests/seeds/articles/mt-2023-02-28-blinken-central-asia: 17 quotes, 5 pledges, 15 events, 106 mentions, 2 local
entities), each with its ids suffixed (``-c00042``), beside the fixture registry: every copy goes through the
real compiler (YAML with line numbers, evidence, mentions found by name, dates, amounts). About 5,900 articles
make 100k quotes.

Each run: a full rebuild (``load --full``); then the quotes of the middle article edited (a date's basis
reworded), loaded incrementally; then a new article whose folder sorts in the middle of the others, loaded
incrementally (every later article's mentions, evidence and search rows are numbered again: the dearest kind of
one-article change). Each load is the CLI's (``loader.load_changes``), timed in this process.
Writes ``benchmarks/results/incremental-100k.json``.
"""

import argparse
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.export import write_package  # noqa: E402
from app.loader import load_changes  # noqa: E402

FIXTURES = ROOT / "tests" / "seeds"
TEMPLATE = FIXTURES / "articles" / "mt-2023-02-28-blinken-central-asia"
QUOTES_PER_COPY = 17
RESULTS = ROOT / "benchmarks" / "results"
# An edit of the template's quotes: the date basis of the unnamed diplomat's remarks, reworded.
EDIT = ("basis: Not dated; about the stance", "basis: Undated; about the stance")


def copy_article(seeds: Path, suffix: str) -> Path:
    """The template article with every id it defines suffixed, as a new folder of ``seeds``."""
    files = {p.name: p.read_text(encoding="utf-8") for p in TEMPLATE.iterdir()}
    ids = {m for text in files.values() for m in re.findall(r"^\s*(?:- )?id:\s*(\S+)", text, re.MULTILINE)}
    own = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(ids, key=len, reverse=True))) + r")(?![\w-])")
    folder = seeds / "articles" / f"{TEMPLATE.name}-{suffix}"
    folder.mkdir(parents=True)
    for name, text in files.items():
        if name.endswith(".yaml"):
            text = own.sub(lambda m: f"{m.group(1)}-{suffix}", text)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def make_seeds(seeds: Path, quotes: int) -> int:
    if seeds.exists():
        shutil.rmtree(seeds)
    seeds.mkdir(parents=True)
    shutil.copy(FIXTURES / "entities.yaml", seeds / "entities.yaml")
    copies = -(-quotes // QUOTES_PER_COPY)
    for i in range(copies):
        copy_article(seeds, f"c{i:05d}")
    return copies


def timed(seeds: Path, db: Path, full: bool = False) -> tuple[float, float, str]:
    started, cpu = time.perf_counter(), time.process_time()
    loaded = load_changes(seeds, db, full=full)
    return time.perf_counter() - started, time.process_time() - cpu, loaded.report


def package_seconds(db: Path) -> float:
    """How long the bulk download alone takes to write from the database (part of every load)."""
    from app.db import open_engine

    engine = open_engine(db, read_only=True)
    with tempfile.TemporaryDirectory() as tmp, engine.connect() as connection:
        started = time.perf_counter()
        write_package(connection, Path(tmp) / "p.zip", "bench")
        seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def run(seeds: Path, db: Path, copies: int, full_s: float | None) -> dict[str, Any]:
    """One run: a full rebuild (or, ``full_s`` given, the previous run's changes undone by an incremental load,
    compared with that run's full rebuild), then the two changes loaded incrementally."""
    middle = seeds / "articles" / f"{TEMPLATE.name}-c{copies // 2:05d}"
    shutil.rmtree(seeds / "articles" / f"{TEMPLATE.name}-c{copies // 2:05d}b", ignore_errors=True)
    quotes = middle / "quotes.yaml"
    quotes.write_text(quotes.read_text(encoding="utf-8").replace(EDIT[1], EDIT[0]), encoding="utf-8")
    figures: dict[str, Any] = {}
    if full_s is None:
        seconds, cpu, report = timed(seeds, db, full=True)
        figures |= {"full_rebuild_s": round(seconds, 1), "full_rebuild_cpu_s": round(cpu, 1)}
        full_s = seconds
    else:
        seconds, cpu, report = timed(seeds, db)
        figures |= {"undo_s": round(seconds, 2), "undo_report": report, "compared_with": "run 1's full rebuild"}
    print(f"start: {seconds:.1f} s (CPU {cpu:.1f} s): {report}", file=sys.stderr)
    quotes.write_text(quotes.read_text(encoding="utf-8").replace(*EDIT), encoding="utf-8")
    changes: dict[str, Callable[[], object]] = {
        "edit_one_quote": lambda: None,
        "add_one_article": lambda: copy_article(seeds, f"c{copies // 2:05d}b"),
    }
    for name, change in changes.items():  # the added article sorts right after the middle one
        change()
        seconds, cpu, report = timed(seeds, db)
        print(f"{name}: {seconds:.1f} s (CPU {cpu:.1f} s): {report}", file=sys.stderr)
        figures |= {
            f"{name}_s": round(seconds, 2),
            f"{name}_cpu_s": round(cpu, 2),
            f"{name}_report": report,
            f"{name}_speedup": round(full_s / seconds, 1),
        }
    return figures | {"package_alone_s": round(package_seconds(db), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quotes", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "bench" / "incremental")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS / "incremental-100k.json")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="add runs to --out on its seeds and database: undo the last run's changes instead of a full rebuild",
    )
    args = parser.parse_args()
    seeds, db = args.work / "seeds", args.work / "incremental.sqlite3"
    started = time.perf_counter()
    runs: list[dict[str, Any]] = []
    full_s = None
    if args.reuse:
        runs = json.loads(args.out.read_text(encoding="utf-8"))["runs"]
        full_s = runs[0]["full_rebuild_s"]
        copies = sum(not p.name.endswith("b") for p in (seeds / "articles").iterdir())
    else:
        copies = make_seeds(seeds, args.quotes)
        print(f"seeds: {copies} articles in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    for _ in range(args.runs):
        runs.append(run(seeds, db, copies, full_s))
        result = {  # written after each run: a long run interrupted keeps the runs it finished
            "quotes": copies * QUOTES_PER_COPY,
            "articles": copies,
            "database_mib": round(db.stat().st_size / 2**20),
            "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}; "
            "shared with three other engineers' sessions while it ran (wall-clock times vary with their load; "
            "CPU times less so)",
            "runs": runs,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
