"""Writing the rows: the migrated schema, batched inserts with the indexes dropped and recreated, the
documents, statistics and checks; the progress report; generating the rows in a child process."""

import multiprocessing
import queue
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlmodel import SQLModel

from app.db import analyze, check, open_engine
from app.loader import store_documents
from app.matches import search_rowid
from app.schema import migrate
from tools.synth.generator import Rows, rows

# Tables are written with their columns in model order; integer ids are left to SQLite, as in the loader.
SEARCH_COLUMNS = ("kind", "id", "label", "body", "names")


def _produce(queue: Any, quotes: int, seed: int, version: str) -> None:
    try:
        for batch in rows(quotes, seed, version):
            # Column lists pickle in half the time of row tuples; the writer zips them back.
            queue.put({table: list(zip(*values, strict=True)) for table, values in batch.items()})
        queue.put(None)
    except BaseException as exc:
        queue.put(exc)
        raise


def _rows_from_child(quotes: int, seed: int, version: str) -> Iterator[Rows]:
    """``rows``, generated in a child process: generating and writing take similar time, so on two cores the
    build takes about half as long. Spawned, not forked, so nothing of this process's state is shared."""
    context = multiprocessing.get_context("spawn")
    channel = context.Queue(maxsize=2)  # at most two batches in flight: memory stays bounded
    child = context.Process(target=_produce, args=(channel, quotes, seed, version), daemon=True)
    child.start()
    try:
        while True:
            try:
                item = channel.get(timeout=1)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(f"the generator process died (exit code {child.exitcode})") from None
                continue
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield {table: list(zip(*columns, strict=True)) for table, columns in item.items()}
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        channel.close()


def _write(path: Path, source: Iterator[Rows], quotes: int, progress: bool) -> None:
    engine = open_engine(path)
    try:
        with engine.begin() as connection:
            migrate(connection)
    finally:
        engine.dispose()

    db = sqlite3.connect(path, isolation_level=None)
    try:
        # A private file until it is renamed: no rollback journal, no fsync per commit (one fsync at the end).
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA cache_size = -1048576")  # 1 GiB: index builds sort in memory, few pages are re-read
        db.execute("PRAGMA temp_store = MEMORY")
        db.execute("PRAGMA threads = 2")  # index builds may sort on a second core
        db.execute("BEGIN")
        indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
        for name, _ in indexes:
            db.execute(f'DROP INDEX "{name}"')
        with _step("rows (this process)", progress), _progress_bar(progress, total=quotes, unit="quote") as advance:
            for batch in source:
                # The search rows last: each one's rowid is computed from its fact's (matches.search_rowid).
                for table, values in sorted(batch.items(), key=lambda item: item[0] == "search_index"):
                    if values:
                        db.executemany(_insert(table), values)
                advance(len(batch.get("quote", ())))
        with _step("indexes", progress):
            for _, sql in indexes:
                db.execute(sql)
        db.execute("COMMIT")
    finally:
        db.close()

    engine = open_engine(path)
    try:
        with (
            _step("documents (each fact's JSON)", progress),
            engine.begin() as connection,
            _progress_bar(progress, unit="doc") as advance,
        ):
            connection.exec_driver_sql("PRAGMA cache_size = -1048576")
            store_documents(connection, advance)
        with _step("statistics (ANALYZE)", progress), engine.begin() as connection:
            analyze(connection)
        # quick_check: the indexes were built from the rows a moment ago by CREATE INDEX; matching every entry
        # against its row again (integrity_check) would take five times as long for nothing (measured at 100k).
        with _step("integrity (quick_check) and foreign-key checks", progress), engine.connect() as connection:
            check(connection, quick=True)
    finally:
        engine.dispose()


def _insert(table: str) -> str:
    if table == "search_index":
        names = ", ".join(SEARCH_COLUMNS)
        return f"INSERT INTO search_index (rowid, {names}) VALUES ({search_rowid('?1', '?2')}, ?1, ?2, ?3, ?4, ?5)"
    columns = _columns(table)
    names = ", ".join(f'"{c}"' for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"


def _columns(table: str) -> list[str]:
    if table == "search_index":  # created by the migration, not a model
        return list(SEARCH_COLUMNS)
    columns = SQLModel.metadata.tables[table].columns
    # `doc` and `csv` are rendered after the rows are in (store_documents), like the loader does.
    return [
        c.name
        for c in columns
        if not (c.primary_key and c.name == "id" and c.type.python_type is int) and c.name not in ("doc", "csv")
    ]


@contextmanager
def _progress_bar(progress: bool, **options: Any) -> Iterator[Callable[[int], object]]:
    """A tqdm progress bar on stderr, as the function that advances it; without progress, a function that does
    nothing (and tqdm, a tool's dependency, need not be installed)."""
    if not progress:
        yield _ignore
        return
    from tqdm import tqdm

    with tqdm(unit_scale=True, file=sys.stderr, **options) as bar:
        yield bar.update


def _ignore(_: int) -> None:
    pass


@contextmanager
def _step(name: str, progress: bool) -> Iterator[None]:
    """Report how long a step took, in wall-clock and CPU time (on a shared machine they differ)."""
    started, cpu = time.perf_counter(), time.process_time()
    yield
    if progress:
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"{name}: {wall:.1f} s (CPU {cpu:.1f} s)", file=sys.stderr)
