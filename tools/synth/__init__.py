"""A synthetic corpus of any size, for benchmarks and scale tests: ``python -m tools.synth --quotes N --db PATH``.

It writes the project's own schema (the Alembic migrations) through the loader's safe path (a file beside the
target, one transaction, integrity and foreign-key checks, atomic rename) with the shape of curated data:

- articles of generated text (about 20 quotes each) that every evidence span and mention really points into,
  with code-point offsets (the text has curly quotes and accented names);
- speakers with a Zipf-like share of the quotes (at 1M quotes the busiest has tens of thousands), entities of
  every type, aliases, affiliations, mentions and quote-mention links, pledges, events with participants;
- dates with the curated convention: a value at a precision, its bounds, open bounds stored as 0001-01-01;
- a ``search_index`` filled like the loader's (same labels and bodies per kind), with common and rare words;
- stored entity counts and a ``dataset_info`` row.

The same ``--quotes`` and ``--seed`` give the same rows. The dataset version hashes them together with the
source of every module of this package, the app's event types (in their order) and the schema revision, so a
database built by another version of the generator is never mistaken for a current one (the benchmark reuses a
database only when its version matches).

The vocabularies of the enum-like columns are the app's own (``app.models``): the event types are drawn from
the app's list, in its order; the weighted draws of quote kinds and pledge statuses are checked against the app's
lists when this package is imported; entity types and event statuses are typed with the app's ``Literal`` types
(mypy checks every value written; date precisions are annotated too, but ``lru_cache`` hides those calls from it).

A tool beside the service, not part of it: nothing under ``app/`` imports it. tqdm (the progress bars) is
imported only when progress is shown.

Speed: rows are generated as tuples and written with ``executemany`` in large batches on a file with no
journal and no syncing (it is a private temporary file until the final fsync and rename), generated in a second
process while this one writes; the migration's indexes are dropped before the insert and recreated from their
own SQL afterwards (less CPU than maintaining them row by row: 22 s against 24 s at 300k quotes, and it scales
better). ``ANALYZE`` ends the build, as it ends a load, so the query planner has statistics.

The package, module by module: ``vocabulary`` (the words, names and the app's vocabularies), ``text`` (an
article's text being written, dates as the loader stores them), ``entities`` (the countries, places,
organizations and people), ``generator`` (the articles with their quotes, events and pledges, then the entity
rows), ``write`` (the database: migrations, batched inserts, indexes, documents, checks; the child process).
"""

import argparse
import hashlib
import sys
import time
from pathlib import Path

from app.db import replace_atomically
from app.schema import head_revision
from tools.synth.generator import Rows, rows
from tools.synth.vocabulary import COMMON_WORD, EVENT_TYPES, PREFIX, RARE_WORDS
from tools.synth.write import _rows_from_child, _write

__all__ = [
    "COMMON_WORD",
    "EVENT_TYPES",
    "PARALLEL_FROM",
    "PREFIX",
    "RARE_WORDS",
    "Rows",
    "dataset_version",
    "main",
    "rows",
    "synth",
]

PARALLEL_FROM = 20_000  # quotes; below that, starting a process costs more than it saves


def dataset_version(quotes: int, seed: int) -> str:
    """Hash of what determines the rows: the sizes, the seed, this generator's source (every module of the
    package, in name order), the app's event types (the order decides which one a draw picks) and the schema
    revision."""
    head = head_revision() or ""
    digest = hashlib.sha256(f"synth\0{quotes}\0{seed}\0{head}\0".encode())
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(f"{module.name}\0".encode())
        digest.update(module.read_bytes())
    digest.update(repr(EVENT_TYPES).encode())
    return digest.hexdigest()[:16]


def synth(target: Path, quotes: int, seed: int = 0, progress: bool = True, parallel: bool | None = None) -> str:
    """Build a corpus of ``quotes`` quotes and atomically replace ``target`` with it; returns the dataset version.

    ``parallel`` (default: from PARALLEL_FROM quotes on) generates the rows in a second process while this one
    writes them; the rows are the same either way.
    """
    if quotes < 1:
        raise ValueError("the number of quotes must be at least 1")
    version = dataset_version(quotes, seed)
    if parallel is None:
        parallel = quotes >= PARALLEL_FROM
    source = _rows_from_child if parallel else rows
    replace_atomically(target, lambda tmp: _write(tmp, source(quotes, seed, version), quotes, progress))
    return version


def main(argv: list[str] | None = None) -> int:
    """``python -m tools.synth --quotes N --db PATH [--seed S]``, from the project root."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.synth", description="Build a synthetic corpus of N quotes (benchmarks, scale tests)."
    )
    parser.add_argument("--quotes", type=int, required=True, help="number of quotes, e.g. 1000000")
    parser.add_argument("--db", type=Path, required=True, help="database file to (atomically) replace")
    parser.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same data")
    args = parser.parse_args(argv)
    if args.quotes < 1:
        print("--quotes must be at least 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    version = synth(args.db, args.quotes, args.seed)
    size = args.db.stat().st_size / 2**20
    print(
        f"built {args.db}: {args.quotes} quotes, seed {args.seed}, dataset version {version}, "
        f"{size:.1f} MiB in {time.perf_counter() - started:.1f} s"
    )
    return 0
