"""Validated seeds -> a database file, built aside and swapped in atomically.

The new database is written to a temporary file next to the target (migrations, then every row in one
transaction, then integrity and foreign-key checks) and renamed over the target only when all of that passed.
On any failure the target is untouched and the temporary file is removed.
"""

import os
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, insert, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from app.db import open_engine
from app.models import Article, DatasetInfo, Entity, Event, Mention, Pledge, Quote
from app.seeds import Dataset, compile_seeds, seed_files
from app.settings import PROJECT_ROOT


class LoadError(Exception):
    pass


def alembic_config() -> Config:
    return Config(toml_file=PROJECT_ROOT / "pyproject.toml")


def migrate(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def load(seeds: Path, target: Path) -> Dataset:
    """Validate ``seeds`` (SeedError lists every problem) and atomically replace ``target`` with their data."""
    dataset = compile_seeds(seeds)
    replace_atomically(target, lambda tmp: write(dataset, tmp))
    return dataset


def replace_atomically(target: Path, build: Callable[[Path], None]) -> None:
    """Run ``build`` on a new file beside ``target``, then rename it over ``target``; on any error, leave no trace.

    Shared by ``load`` and ``app.synth``: whatever writes a database, the served file is only ever swapped whole.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".loading", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        try:
            build(tmp)
        except (SQLAlchemyError, sqlite3.Error, OverflowError, ValueError) as exc:  # what SQLite refuses of rows
            raise LoadError(str(exc).splitlines()[0]) from exc
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); the server may run as another user (the Docker image does).
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
            leftover.unlink(missing_ok=True)


def write(dataset: Dataset, path: Path) -> None:
    engine = open_engine(path)
    try:
        with engine.begin() as connection:
            migrate(connection)
        info = DatasetInfo(
            version=dataset.version,
            loaded_at=datetime.now(UTC).replace(microsecond=0),
            counts={
                "articles": dataset.count(Article),
                "entities": dataset.count(Entity),
                "mentions": dataset.count(Mention),
                "quotes": dataset.count(Quote),
                "pledges": dataset.count(Pledge),
                "events": dataset.count(Event),
            },
        )
        by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in [*dataset.rows, info]:
            by_table[str(row.__tablename__)].append(row.model_dump())
        with engine.begin() as connection:
            # Parents before children, in one transaction; executemany per table.
            for table in SQLModel.metadata.sorted_tables:
                if by_table[table.name]:
                    connection.execute(insert(table), by_table[table.name])
            connection.execute(
                text("INSERT INTO search_index (kind, id, label, body) VALUES (:kind, :id, :label, :body)"),
                [vars(doc) for doc in dataset.search],
            )
            analyze(connection)
        with engine.connect() as connection:
            check(connection)
    finally:
        engine.dispose()


def analyze(connection: Connection) -> None:
    """Statistics for the query planner (``sqlite_stat1``): whether an index narrows a query enough depends on
    how many rows share a value, which SQLite only knows after ANALYZE. Sampled (``analysis_limit``), so it takes
    a moment even on a million rows; the data never changes afterwards."""
    connection.exec_driver_sql("PRAGMA analysis_limit = 1000")
    connection.exec_driver_sql("ANALYZE")


def check(connection: Connection, quick: bool = False) -> None:
    """Refuse a database that SQLite finds corrupt or whose references dangle (LoadError).

    ``quick`` runs ``quick_check``, which skips matching every index entry against its row: O(N), not O(N log N).
    """
    pragma = "quick_check" if quick else "integrity_check"
    problems = [row[0] for row in connection.exec_driver_sql(f"PRAGMA {pragma}")]
    if problems != ["ok"]:
        raise LoadError(f"integrity check failed: {problems[:5]}")
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise LoadError(f"foreign key check failed: {broken[:5]}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def needs_build(seeds: Path, target: Path) -> bool:
    """True when ``target`` is missing, older than any seed file, or built by another schema revision."""
    if not target.exists():
        return True
    built = target.stat().st_mtime
    if any(path.stat().st_mtime > built for path in seed_files(seeds)):
        return True
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    engine = open_engine(target, read_only=True)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() != head
    except SQLAlchemyError:  # not a database of ours at all
        return True
    finally:
        engine.dispose()
