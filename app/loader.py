"""Validated seeds -> a database, published atomically.

SQLite: the new database is written to a temporary file next to the target (migrations, then every row in one
transaction, then integrity and foreign-key checks) and renamed over the target only when all of that passed.
On any failure the target is untouched and the temporary file is removed. A load that would leave far fewer
facts of some kind than the database it replaces is refused unless asked for (``allow_shrink``): a truncated
or half-merged seed file is often still valid YAML, and a valid but gutted data set would otherwise go live.

PostgreSQL: one transaction migrates, deletes every row and inserts the new ones (foreign keys are checked as
they go); readers keep the snapshot they started with until it commits, and a failure rolls everything back.
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
from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, col

from app import fts
from app.backend import Target, postgres_engine, target_engine
from app.db import open_engine
from app.models import Article, DatasetInfo, Entity, Event, Mention, Pledge, Quote
from app.resources import RESOURCES
from app.seeds import Dataset, compile_seeds, seed_files
from app.settings import PROJECT_ROOT

# A load may drop at most this share of any kind of fact (articles, entities, mentions, quotes, pledges, events)
# that the database it replaces has, unless ``allow_shrink``: more than that is a gutted file, not curation.
MAX_SHRINK = 0.5


class LoadError(Exception):
    pass


def alembic_config() -> Config:
    return Config(toml_file=PROJECT_ROOT / "pyproject.toml")


def migrate(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def load(seeds: Path, target: Target, allow_shrink: bool = False) -> Dataset:
    """Validate ``seeds`` (SeedError lists every problem) and atomically replace ``target`` with their data."""
    dataset = compile_seeds(seeds)
    if not allow_shrink:
        check_shrink(fact_counts(dataset), served_counts(target))
    if isinstance(target, str):
        publish(dataset, target)
        return dataset
    replace_atomically(target, lambda tmp: write(dataset, tmp))
    return dataset


def replace_atomically(target: Path, build: Callable[[Path], None]) -> None:
    """Run ``build`` on a new file beside ``target``, then rename it over ``target``; on any error, leave no trace.

    Shared by ``load`` and ``tools.synth``: whatever writes a database, the served file is only ever swapped whole.
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


def fact_counts(dataset: Dataset) -> dict[str, int]:
    return {
        "articles": dataset.count(Article),
        "entities": dataset.count(Entity),
        "mentions": dataset.count(Mention),
        "quotes": dataset.count(Quote),
        "pledges": dataset.count(Pledge),
        "events": dataset.count(Event),
    }


def served_counts(target: Target) -> dict[str, int] | None:
    """The fact counts of the database at ``target``; None when there is none to compare with (missing, not ours)."""
    if isinstance(target, Path) and not target.exists():
        return None
    engine = target_engine(target, read_only=True)
    try:
        with Session(engine) as session:
            info = session.get(DatasetInfo, 1)
    except SQLAlchemyError:  # not a database of ours, or of a schema without dataset_info: a full rebuild
        return None
    finally:
        engine.dispose()
    return dict(info.counts) if info else None


def check_shrink(new: dict[str, int], old: dict[str, int] | None) -> None:
    """Refuse new counts that lose more than MAX_SHRINK of any kind of fact the served database has."""
    if old is None:
        return
    shrunk = [
        f"{kind} {count} -> {new.get(kind, 0)}"
        for kind, count in old.items()
        if new.get(kind, 0) < count * (1 - MAX_SHRINK)
    ]
    if shrunk:
        raise LoadError(
            f"refusing to drop more than {MAX_SHRINK:.0%} of a kind of fact the database holds "
            f"({', '.join(shrunk)}); if that is intended, load again with --allow-shrink"
        )


def write(dataset: Dataset, path: Path) -> None:
    engine = open_engine(path)
    try:
        with engine.begin() as connection:
            migrate(connection)
        with engine.begin() as connection:
            insert_rows(connection, dataset)
            if connection.dialect.name == "sqlite":
                analyze(connection)
        with engine.connect() as connection:
            check(connection)
    finally:
        engine.dispose()


def insert_rows(connection: Connection, dataset: Dataset) -> None:
    """Every row of ``dataset`` and its dataset-info row: parents before children, executemany per table."""
    info = DatasetInfo(
        version=dataset.version,
        loaded_at=datetime.now(UTC).replace(microsecond=0),
        counts=fact_counts(dataset),
    )
    by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in [*dataset.rows, info]:
        values = row.model_dump()
        if "id" in values and values["id"] is None:  # numbered here, the same way on every backend and load
            values["id"] = len(by_table[str(row.__tablename__)]) + 1
        by_table[str(row.__tablename__)].append(values)
    for table in SQLModel.metadata.sorted_tables:
        if by_table[table.name]:
            connection.execute(insert(table), by_table[table.name])
    connection.execute(*fts.index_rows(connection.dialect.name, dataset.search))
    store_documents(connection)


DOCUMENTS_BATCH = 500


def store_documents(connection: Connection, progress: Callable[[int], object] | None = None) -> None:
    """Fill the ``doc`` column of every fact with its public JSON (``app/render.py``), inside the load's
    transaction: the data only changes when a load replaces it, so the API never assembles a fact from five tables
    on a request, and a list page is one indexed query."""
    for resource in RESOURCES:
        table = resource.table.__table__  # type: ignore[attr-defined]
        store = update(table).where(table.c.id == bindparam("_id")).values(doc=bindparam("_doc"))
        ids = connection.execute(select(resource.id_column).order_by(resource.id_column)).scalars().all()
        columns = [column for column in resource.columns if column.key != "doc"]
        for start in range(0, len(ids), DOCUMENTS_BATCH):
            chunk = ids[start : start + DOCUMENTS_BATCH]
            rows = connection.execute(select(*columns).where(resource.id_column.in_(chunk))).all()
            docs = resource.render(connection, rows, resource.url)
            connection.execute(
                store, [{"_id": row.id, "_doc": doc.model_dump_json()} for row, doc in zip(rows, docs, strict=True)]
            )
            if progress:
                progress(len(docs))


# Held by a load until it commits, so that two loads into one PostgreSQL database take turns.
LOAD_LOCK = 0x61727466  # "artf"


def publish(dataset: Dataset, url: str) -> None:
    """Replace the data in the PostgreSQL database at ``url`` with ``dataset``, in one transaction."""
    engine = postgres_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(select(func.pg_advisory_xact_lock(LOAD_LOCK)))
            migrate(connection)
            # DELETE, not TRUNCATE: TRUNCATE would make readers wait for the commit, and is not MVCC-safe.
            connection.execute(text("DELETE FROM search_index"))
            for table in reversed(SQLModel.metadata.sorted_tables):
                connection.execute(delete(table))
            insert_rows(connection, dataset)
    except (SQLAlchemyError, OverflowError, ValueError) as exc:  # what PostgreSQL refuses of validated rows
        raise LoadError(str(exc).splitlines()[0]) from exc
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


def needs_build(seeds: Path, target: Target) -> bool:
    """True when ``target`` is missing or empty, older than any seed file, or built by another schema revision."""
    if isinstance(target, Path) and not target.exists():
        return True
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    engine = target_engine(target, read_only=True)
    try:
        with engine.connect() as connection:
            revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            loaded_at = connection.scalar(select(col(DatasetInfo.loaded_at)))
    except SQLAlchemyError:  # not a database of ours at all
        return True
    finally:
        engine.dispose()
    if revision != head or loaded_at is None:
        return True
    built = target.stat().st_mtime if isinstance(target, Path) else loaded_at.timestamp()
    return any(path.stat().st_mtime > built for path in seed_files(seeds))
