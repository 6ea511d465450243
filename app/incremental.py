"""Loads that redo only what changed: ``article-facts load`` on a database it built before.

What changed: every load stores in ``seed_part`` a hash of each part of the seeds it read (``entities.yaml``, each
article's folder) with what the part defines (its article, its entities). The next load hashes the seeds anyway
(the dataset version is a hash of them) and compares: the articles whose folder changed, appeared or went are
compiled again, the others are not read. When the registry changed, so are the articles whose text holds a name or
alias that was added or removed (their mentions may change), and the registry itself.

What is redone (``apply``), on a copy of the served file, in one transaction, then swapped in like a full load: the
rows of those parts are deleted and their new rows inserted; the numbered tables (mentions, evidence, aliases,
affiliations, initiatives, annotations, the search index) are numbered again in the order a full rebuild numbers
them (``app/renumber.py``); the counts of the entities those articles touch are counted again; then only the
documents that depend on what changed are rendered (``dirty``): the facts of those articles, those that embed an
entity or event whose name or title changed, mentions whose number changed, entities whose row, aliases or
counts changed, the annotations of their articles, the search-index names of facts whose people were renamed.
Date spans, the dataset version and counts, the bulk download and the planner statistics are made again whole.

The result is the database a full rebuild of the same seeds makes (tests/test_incremental.py compares every
table), but for ``dataset_info.loaded_at`` and the planner statistics (``sqlite_stat1``, sampled).

When it is not tried (``plan`` says why, and the load rebuilds everything): no database yet, one of another schema
revision or not built by a load that records its seeds, PostgreSQL (rebuilt in one transaction as before), a seed
file outside the registry and the article folders changed, or more than ``REBUILD_SHARE`` of the articles changed.
When it fails on a reference (an entity or event removed while an unchanged article refers to it), the full
rebuild runs, so the problem is reported at its line.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from app import partial, renumber
from app.annotate import store_annotations
from app.db import open_engine
from app.evidence import fold
from app.models import Annotation, Article, DatasetInfo, Entity, EntityAlias, SeedPart
from app.schema import head_revision
from app.seeds import Dataset, Known, compile_seeds, seed_parts

REGISTRY = "entities.yaml"
# More articles to redo than this share of them: a full rebuild costs about as much, and is simpler.
REBUILD_SHARE = 0.5

SEED_PART = SeedPart.__table__.c  # type: ignore[attr-defined]
ENTITY = Entity.__table__.c  # type: ignore[attr-defined]
ALIAS = EntityAlias.__table__.c  # type: ignore[attr-defined]
ARTICLE = Article.__table__.c  # type: ignore[attr-defined]


@dataclass
class Plan:
    """The parts of the seeds an incremental load compiles again, and what it knows of the rest."""

    version: str
    hashes: dict[str, str]  # part -> hash of its files, as the seeds are now
    stored: dict[str, tuple[str, str | None, list[str]]]  # part -> (hash, article, entities), as last loaded
    changed: set[str]  # article parts whose files changed or that are new
    removed: set[str]  # article parts that are gone

    @property
    def registry(self) -> bool:
        return self.stored.get(REGISTRY, ("",))[0] != self.hashes.get(REGISTRY)


def plan(seeds: Path, target: Path | str) -> Plan | str:
    """What an incremental load of ``seeds`` into ``target`` would redo, or why a full rebuild is needed."""
    if not isinstance(target, Path):
        return "PostgreSQL databases are rebuilt whole, in one transaction"
    if not target.exists():
        return "there is no database there yet"
    engine = open_engine(target, read_only=True)
    try:
        with engine.connect() as connection:
            revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            if revision != head_revision():
                return f"the database has schema revision {revision}, this version of the app needs {head_revision()}"
            stored = {
                name: (sha, article, list(entities))
                for name, sha, article, entities in connection.execute(
                    select(SEED_PART.name, SEED_PART.sha256, SEED_PART.article_id, SEED_PART.entities)
                )
            }
    except SQLAlchemyError:
        return "it is not a database built by `article-facts load`"
    finally:
        engine.dispose()
    if not stored:
        return "the database does not record the seed files it was loaded from"
    version, hashes = seed_parts(seeds)
    changed = {name for name, sha in hashes.items() if stored.get(name, ("",))[0] != sha}
    removed = set(stored) - set(hashes)
    odd = sorted(name for name in changed | removed if name != REGISTRY and not name.startswith("articles/"))
    if odd:
        return f"{odd[0]} changed, which is neither the entity registry nor an article's folder"
    articles = sum(name.startswith("articles/") for name in hashes)
    moved = len((changed | removed) - {REGISTRY})
    if moved > max(1.0, REBUILD_SHARE * articles):
        return f"{moved} of {articles} articles changed (more than {REBUILD_SHARE:.0%})"
    return Plan(version, hashes, stored, changed - {REGISTRY}, removed)


def known(stored: dict[str, tuple[str, str | None, list[str]]], skip: set[str], connection: Connection) -> Known:
    """The ids that the parts not compiled again define (``compile_seeds(known=...)``)."""
    keep = {name: part for name, part in stored.items() if name not in skip and name != REGISTRY}
    article_part = {article: name for name, (_, article, _) in keep.items() if article}
    ids: dict[str, dict[str, str]] = {"article": {a: p for a, p in article_part.items()}, "entity": {}}
    scope: dict[str, str] = {}
    for name, (_, article, entities) in keep.items():
        for entity_id in entities:
            ids["entity"][entity_id] = name
            if article:
                scope[entity_id] = article
    for (kind, fact_id), article in renumber.fact_articles(connection).items():
        if article in article_part:
            ids.setdefault(kind, {})[fact_id] = article_part[article]
    return Known(ids, scope)


def phrases_changed(connection: Connection, stored_registry: list[str], dataset: Dataset) -> set[str]:
    """The names and aliases that the registry gained or lost, entity by entity."""
    old: dict[str, set[str]] = {e: set() for e in stored_registry}
    for entity_id, name in connection.execute(select(ENTITY.id, ENTITY.name).where(ENTITY.id.in_(stored_registry))):
        old[entity_id].add(name)
    for entity_id, alias in connection.execute(select(ALIAS.entity_id, ALIAS.alias).where(ALIAS.entity_id.in_(old))):
        old[entity_id].add(alias)
    registry = set(dataset.parts[REGISTRY][1])
    new: dict[str, set[str]] = {e: set() for e in registry}
    for row in dataset.rows:
        if isinstance(row, Entity) and row.id in registry:
            new[row.id].add(row.name)
        elif isinstance(row, EntityAlias) and row.entity_id in registry:
            new[row.entity_id].add(row.alias)
    return {p for e in old.keys() | new.keys() for p in old.get(e, set()) ^ new.get(e, set())}


def articles_with(connection: Connection, phrases: set[str]) -> set[str]:
    """The articles whose text holds one of ``phrases`` (typography-insensitively, ignoring case): a superset of
    those where it is a whole word, which is what a mention is."""
    if not phrases:
        return set()
    folded = [fold(p).lower() for p in phrases]
    return {
        article_id
        for article_id, text in connection.execute(select(ARTICLE.id, ARTICLE.text))
        if any(p in fold(text).lower() for p in folded)
    }


def compile_changes(connection: Connection, seeds: Path, plan: Plan) -> tuple[Dataset, set[str]]:
    """The registry and the articles to redo, compiled against what the others define; and those articles' parts
    (the changed ones, and those whose mentions a registry change may move)."""
    parts = set(plan.changed)
    dataset = compile_seeds(
        seeds, only=parts, known=known(plan.stored, parts | plan.removed, connection), version=plan.version
    )
    if plan.registry:
        touched = articles_with(connection, phrases_changed(connection, plan.stored[REGISTRY][2], dataset))
        more = {name for name, (_, article, _) in plan.stored.items() if article in touched} - plan.removed - parts
        articles = sum(name.startswith("articles/") for name in plan.hashes)
        if len(parts | more) > max(1.0, REBUILD_SHARE * articles):
            raise Rebuild(
                f"the registry change may move mentions in {len(parts | more)} of {articles} articles "
                f"(more than {REBUILD_SHARE:.0%})"
            )
        if more:
            parts |= more
            dataset = compile_seeds(
                seeds, only=parts, known=known(plan.stored, parts | plan.removed, connection), version=plan.version
            )
    return dataset, parts


class Rebuild(Exception):
    """An incremental load found a full rebuild is needed (why: its message); nothing was written."""


@dataclass
class Applied:
    registry: bool  # whether the entity registry changed
    articles: int  # articles compiled again
    rendered: int  # documents rendered again
    counts: dict[str, int]  # the dataset's counts now (``loader.fact_counts``)


def apply(connection: Connection, seeds: Path, plan: Plan, allow_drafts: bool = False) -> Applied:
    """Bring the database behind ``connection`` (a copy of the served one, in a transaction) to the seeds."""
    from app.loader import COUNTED, refuse_drafts, store_documents  # the loader calls this module

    dataset, parts = compile_changes(connection, seeds, plan)
    if not allow_drafts:
        refuse_drafts(dataset)
    connection.execute(delete(SeedPart))  # the first write: the driver begins the transaction here
    # A part's rows are deleted, then inserted again: references to them are checked when it commits (the pragma
    # lasts until then, so it must come inside the transaction).
    connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    replaced = parts | plan.removed | ({REGISTRY} if plan.registry else set())
    before = partial.Snapshot.take(connection, plan.stored, replaced)
    partial.delete_parts(connection, before)
    articles, entities = partial.insert_parts(connection, dataset, replaced)
    now = {
        name: (sha, *dataset.parts.get(name, (None, []))) if name in replaced else plan.stored[name]
        for name, sha in plan.hashes.items()
    }
    connection.execute(
        insert(SeedPart),
        [{"name": n, "sha256": sha, "article_id": a, "entities": e} for n, (sha, a, e) in sorted(now.items())],
    )
    moved = renumber.renumber_rows(connection, renumber.Order.of(now))
    docs, annotated = dirty(connection, before, articles, entities, moved)
    store_documents(connection, only=docs)
    existing = set(connection.execute(select(ARTICLE.id).where(ARTICLE.id.in_(annotated))).scalars())
    connection.execute(delete(Annotation).where(col(Annotation.article_id).in_(existing)))
    last = connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM annotation").scalar() or 0
    store_annotations(connection, sorted(existing), first=last + 1)
    renumber.renumber_annotations(connection)
    counts = {
        kind: connection.execute(select(func.count()).select_from(table)).scalar() or 0
        for kind, table in COUNTED.items()
    }
    connection.execute(
        update(DatasetInfo)
        .where(col(DatasetInfo.id) == 1)
        .values(version=plan.version, loaded_at=datetime.now(UTC).replace(microsecond=0), counts=counts)
    )
    return Applied(plan.registry, len(parts | plan.removed), sum(map(len, docs.values())), counts)


def dirty(
    connection: Connection, before: partial.Snapshot, articles: set[str], entities: set[str], moved: set[int]
) -> tuple[dict[str, set[Any]], set[str]]:
    """The documents to render again (kind -> ids), and the articles whose annotations to make again."""
    after = partial.summaries(connection, before.entities & entities)
    renamed = {e for e, now in after.items() if before.summaries[e][:2] != now[:2]}
    known_as = {e for e, now in after.items() if (before.summaries[e][0], before.summaries[e][2]) != (now[0], now[2])}
    retitled = {e for e, now in partial.event_titles(connection, articles).items() if before.events.get(e, now) != now}
    recounted = partial.count_entities(
        connection, before.referenced | partial.referenced(connection, articles) | entities
    )
    docs: dict[str, set[Any]] = {"entity": entities | recounted}
    annotated = set(articles)
    for kind in partial.EMBEDDED:
        own = "id" if kind == "article" else "article_id"
        mine = {
            row[0] for row in partial.select_ids(connection, f"SELECT id FROM {kind} WHERE {own} IN :ids", ids=articles)
        }
        embedding = partial.embedding(connection, kind, renamed, partial.EMBEDDED)
        if kind == "quote":
            embedding |= {
                r[0]
                for r in partial.select_ids(connection, "SELECT id FROM quote WHERE event_id IN :ids", ids=retitled)
            }
        docs[kind] = mine | embedding | (moved if kind == "mention" else set())
        annotated |= {
            r[0] for r in partial.select_ids(connection, f"SELECT {own} FROM {kind} WHERE id IN :ids", ids=embedding)
        }
    names = {
        (kind, f) for kind in partial.PEOPLE for f in partial.embedding(connection, kind, known_as, partial.PEOPLE)
    }
    if names:
        rowids = {(k, i): r for r, k, i in connection.exec_driver_sql("SELECT rowid, kind, id FROM search_index")}
        people = partial.people_names(connection, names)
        connection.exec_driver_sql(
            "UPDATE search_index SET names = ? WHERE rowid = ?",
            [(people.get(key, ""), rowids[key]) for key in sorted(names) if key in rowids],
        )
    return docs, annotated


def describe(applied: Applied, seconds: float) -> str:
    articles = f"{applied.articles} article{'s' if applied.articles != 1 else ''}"
    if applied.registry:
        articles = f"the entity registry and {articles}"
    return f"incremental: {articles} changed, {applied.rendered} facts re-rendered in {seconds:.1f} s"
