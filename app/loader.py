"""Validated seeds -> a database, published atomically.

SQLite: the new database is written to a temporary file next to the target (migrations, then every row in one
transaction, then integrity and foreign-key checks) and renamed over the target only when all of that passed.
On any failure the target is untouched and the temporary file is removed. A load that would leave far fewer
facts of some kind than the database it replaces is refused unless asked for (``allow_shrink``): a truncated
or half-merged seed file is often still valid YAML, and a valid but gutted data set would otherwise go live.

PostgreSQL: one transaction migrates, deletes every row and inserts the new ones (foreign keys are checked as
they go); readers keep the snapshot they started with until it commits, and a failure rolls everything back.
"""

import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, SQLModel, col

from app import fts, incremental
from app.annotate import store_annotations
from app.backend import LoadError, Target, backend_for
from app.db import analyze, open_engine, replace_atomically
from app.export import PackageBuild, package_path
from app.formats import csv_line
from app.models import Article, DatasetInfo, DateSpan, Entity, Event, Mention, Pledge, Quote, SeedPart
from app.params import DATE_RANGES
from app.resources import RESOURCES
from app.schema import head_revision
from app.seeds import Dataset, SeedError, compile_seeds, seed_files

# A load may drop at most this share of any kind of fact (articles, entities, mentions, quotes, pledges, events)
# that the database it replaces has, unless ``allow_shrink``: more than that is a gutted file, not curation.
MAX_SHRINK = 0.5


def load(seeds: Path, target: Target, allow_shrink: bool = False, allow_drafts: bool = False) -> Dataset:
    """Validate ``seeds`` (SeedError lists every problem) and atomically replace ``target`` with their data.
    Facts still marked ``draft: true`` are refused unless ``allow_drafts``: nobody has reviewed them."""
    dataset = compile_seeds(seeds)
    if not allow_drafts:
        refuse_drafts(dataset)
    if not allow_shrink:
        check_shrink(fact_counts(dataset), served_counts(target))
    publish(dataset, target)
    return dataset


def refuse_drafts(dataset: Dataset) -> None:
    if dataset.drafts:
        raise SeedError([replace(p, message=f"{p.message} (or load with --allow-drafts)") for p in dataset.drafts])


@dataclass
class Loaded:
    version: str
    report: str  # what was done: "incremental: ..." or "full rebuild because ..."


def load_changes(
    seeds: Path, target: Target, allow_shrink: bool = False, allow_drafts: bool = False, full: bool = False
) -> Loaded:
    """``load``, redoing only the parts of the seeds that changed since the database at ``target`` was loaded
    when that is possible (``app/incremental.py``), else (or with ``full``) all of it."""
    started = time.perf_counter()
    plan = "--full was given" if full else incremental.plan(seeds, target)
    if isinstance(plan, incremental.Plan) and isinstance(target, Path):
        try:
            applied = publish_changes(seeds, target, plan, allow_shrink, allow_drafts)
        except BrokenReference:
            plan = "the change breaks a reference from an article that did not change"
        except incremental.Rebuild as exc:
            plan = str(exc)
        else:
            return Loaded(plan.version, incremental.describe(applied, time.perf_counter() - started))
    dataset = load(seeds, target, allow_shrink, allow_drafts)
    return Loaded(dataset.version, f"full rebuild because {plan}, in {time.perf_counter() - started:.1f} s")


class BrokenReference(LoadError):
    """An incremental load left a reference dangling: the full rebuild reports it where it is written."""


def publish_changes(
    seeds: Path, target: Path, plan: incremental.Plan, allow_shrink: bool, allow_drafts: bool
) -> incremental.Applied:
    """SQLite: a copy of the served file brought up to date in one transaction (``incremental.apply``), with its
    bulk download, then swapped in like a full load's file (``db.replace_atomically``)."""
    package = PackageBuild(target, plan.version)
    old = served_counts(target)
    applied: list[incremental.Applied] = []

    def build(path: Path) -> None:
        shutil.copyfile(target, path)
        engine = open_engine(path)
        try:
            with engine.begin() as connection:
                applied.append(incremental.apply(connection, seeds, plan, allow_drafts))
                if not allow_shrink:
                    check_shrink(applied[0].counts, old)
                package.write(connection)
                analyze(connection)
        except IntegrityError as exc:  # a foreign key, checked at the commit (deferred), or a duplicate
            raise BrokenReference(str(exc).splitlines()[0]) from exc
        finally:
            engine.dispose()

    try:
        replace_atomically(target, build)
    except BaseException:
        package.discard()
        raise
    package.prune()
    return applied[0]


def publish(dataset: Dataset, target: Target) -> None:
    """Replace the data at ``target`` with ``dataset``, all at once (``Backend.publish``), with its bulk download
    (``app/export.py``): written from the new rows inside the load, in place before the data is swapped in."""
    package = PackageBuild(target, dataset.version)

    def fill(connection: Connection) -> None:
        insert_rows(connection, dataset)
        package.write(connection)

    try:
        backend_for(target).publish(fill)
    except BaseException:
        package.discard()
        raise
    package.prune()


# What ``dataset_info.counts`` counts: kind -> its table.
COUNTED: dict[str, type[SQLModel]] = {
    "articles": Article,
    "entities": Entity,
    "mentions": Mention,
    "quotes": Quote,
    "pledges": Pledge,
    "events": Event,
}


def fact_counts(dataset: Dataset) -> dict[str, int]:
    return {kind: dataset.count(table) for kind, table in COUNTED.items()}


def served_counts(target: Target) -> dict[str, int] | None:
    """The fact counts of the database at ``target``; None when there is none to compare with (missing, not ours)."""
    backend = backend_for(target)
    if not backend.exists():
        return None
    engine = backend.engine(read_only=True)
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


def insert_rows(connection: Connection, dataset: Dataset) -> None:
    """Every row of ``dataset`` and its dataset-info row: parents before children, executemany per table."""
    info = DatasetInfo(
        version=dataset.version,
        loaded_at=datetime.now(UTC).replace(microsecond=0),
        counts=fact_counts(dataset),
    )
    by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in [*dataset.rows, info, *seed_part_rows(dataset)]:
        values = row.model_dump()
        if "id" in values and values["id"] is None:  # numbered here, the same way on every backend and load
            values["id"] = len(by_table[str(row.__tablename__)]) + 1
        by_table[str(row.__tablename__)].append(values)
    for table in SQLModel.metadata.sorted_tables:
        if by_table[table.name]:
            connection.execute(insert(table), by_table[table.name])
    connection.execute(*fts.index_rows(connection.dialect.name, dataset.search, fts.people(dataset.rows)))
    store_documents(connection)


def seed_part_rows(dataset: Dataset) -> list[SeedPart]:
    """What the next load compares the seeds with (``app/incremental.py``): each part's hash and definitions."""
    return [
        SeedPart(
            name=name,
            sha256=sha256,
            article_id=dataset.parts.get(name, (None, []))[0],
            entities=dataset.parts.get(name, (None, []))[1],
        )
        for name, sha256 in sorted(dataset.hashes.items())
    ]


DOCUMENTS_BATCH = 500


def store_documents(
    connection: Connection,
    progress: Callable[[int], object] | None = None,
    only: dict[str, set[Any]] | None = None,
) -> None:
    """Fill the ``doc`` column of every fact with its public JSON (``app/render.py``), inside the load's
    transaction: the data only changes when a load replaces it, so the API never assembles a fact from five tables
    on a request, and a list page is one indexed query. Then every article's annotations (``app/annotate.py``)
    and the longest span of each kind of date range (``store_date_spans``).

    ``only`` (kind -> ids): render just these facts, leaving the annotations to the caller (an incremental
    load, ``app/incremental.py``)."""
    store_date_spans(connection)
    for resource in RESOURCES:
        table = resource.table.__table__  # type: ignore[attr-defined]
        store = update(table).where(table.c.id == bindparam("_id")).values(doc=bindparam("_doc"), csv=bindparam("_csv"))
        if only is None:
            ids = connection.execute(select(resource.id_column).order_by(resource.id_column)).scalars().all()
        else:
            ids = sorted(only.get(resource.kind, ()))
        columns = [column for column in resource.columns if column.key != "doc"]
        for start in range(0, len(ids), DOCUMENTS_BATCH):
            chunk = ids[start : start + DOCUMENTS_BATCH]
            rows = connection.execute(select(*columns).where(resource.id_column.in_(chunk))).all()
            docs = resource.render(connection, rows, resource.url)
            stored = [(row.id, doc.model_dump_json()) for row, doc in zip(rows, docs, strict=True)]
            connection.execute(
                store,
                [{"_id": id, "_doc": doc, "_csv": csv_line(orjson.loads(doc), resource.model)} for id, doc in stored],
            )
            if progress:
                progress(len(docs))
    if only is None:
        store_annotations(connection)


def needs_build(seeds: Path, target: Target) -> str | None:
    """Why ``target`` must be (re)built before it is served: missing or empty, built by another schema revision,
    older than a seed file, or (SQLite) without its bulk download; None when it is current. On PostgreSQL the
    package may be on the machine that loaded, not this one: a missing one is no reason to reload a shared
    database (the download answers 404 instead)."""
    backend = backend_for(target)
    if not backend.exists():
        return "there is no database there"
    engine = backend.engine(read_only=True)
    try:
        with engine.connect() as connection:
            revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            loaded_at, version = connection.execute(
                select(col(DatasetInfo.loaded_at), col(DatasetInfo.version))
            ).one_or_none() or (None, None)
    except SQLAlchemyError:
        return "it is not a database built by `article-facts load`"
    finally:
        engine.dispose()
    head = head_revision()
    if revision != head:
        return f"it has schema revision {revision}, this version of the app needs {head}"
    if loaded_at is None or version is None:
        return "it holds no dataset"
    if isinstance(target, Path) and not package_path(target, version).exists():
        return "its bulk download (the data package) is missing"
    built = backend.built_at(loaded_at)
    newer = [path for path in seed_files(seeds) if path.stat().st_mtime > built]
    if newer:
        return f"{newer[0].relative_to(seeds.parent)} changed after it was built"
    return None


def store_date_spans(connection: Connection) -> None:
    """The longest ``latest - earliest`` of every date range (``params.DATE_RANGES``) with a known first day, in
    days, 0 when there is no such fact of its kind: what lets a bound on a range's later end seek the sort index
    (``params.LaterEnd``, which finds the open-started facts apart)."""
    table = DateSpan.__table__  # type: ignore[attr-defined]
    connection.execute(table.delete())
    for name, (earliest, latest) in DATE_RANGES.items():
        bounded = select(earliest, latest).where(earliest > date.min)
        days = max(((last - first).days for first, last in connection.execute(bounded)), default=0)
        connection.execute(insert(table), {"name": name, "days": days})
