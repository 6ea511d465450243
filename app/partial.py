"""The row work of an incremental load (``app/incremental.py``): delete the parts it redoes, insert their new rows,
count again what they touch, and find the documents that depend on what changed (``dirty``)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, insert, text
from sqlmodel import SQLModel

from app import fts
from app.models import (
    Entity,
    EntityAffiliation,
    EntityAlias,
    EventParticipant,
    Pledge,
    PledgeRecipient,
    Quote,
)
from app.seeds import Dataset

# Rows of an article, table -> the column naming it (directly, or through its fact)
ARTICLE_ROWS = {
    "annotation": "article_id",
    "evidence": "article_id",
    "quote_mention": "quote_id IN (SELECT id FROM quote WHERE article_id IN :ids)",
    "pledge_recipient": "pledge_id IN (SELECT id FROM pledge WHERE article_id IN :ids)",
    "pledge_initiative": "pledge_id IN (SELECT id FROM pledge WHERE article_id IN :ids)",
    "event_participant": "event_id IN (SELECT id FROM event WHERE article_id IN :ids)",
    "quote": "article_id",
    "pledge": "article_id",
    "event": "article_id",
    "mention": "article_id",
    "article": "id",
}
# Who a fact is by, for or with: the entities its document embeds (kind -> SQL of (fact id, entity id)).
EMBEDDED = {
    "article": ["SELECT id, publisher_id FROM article"],
    "mention": ["SELECT id, entity_id FROM mention"],
    "quote": ["SELECT id, speaker_id FROM quote", "SELECT quote_id, entity_id FROM quote_mention"],
    "pledge": [
        "SELECT id, donor_id FROM pledge",
        "SELECT id, announced_by_id FROM pledge",
        "SELECT pledge_id, entity_id FROM pledge_recipient",
    ],
    "event": ["SELECT id, location_id FROM event", "SELECT event_id, entity_id FROM event_participant"],
}
PEOPLE = {  # the people whose names the search index adds to a fact (``fts.people``)
    "quote": EMBEDDED["quote"][:1],
    "pledge": EMBEDDED["pledge"],
    "event": EMBEDDED["event"][1:],
}


def _expanding(sql: str, **ids: Iterable[Any]) -> tuple[Any, dict[str, list[Any]]]:
    statement = text(sql).bindparams(*(bindparam(name, expanding=True) for name in ids))
    return statement, {name: sorted(values) for name, values in ids.items()}


def select_ids(connection: Connection, sql: str, **ids: Iterable[Any]) -> list[Any]:
    if any(not list(values) for values in ids.values()):
        return []
    return list(connection.execute(*_expanding(sql, **ids)))


def summaries(connection: Connection, entities: Iterable[str]) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """entity -> (name, type, aliases in order): what other documents embed of it and what search adds."""
    found = {
        e: (name, type_, ())
        for e, name, type_ in select_ids(connection, "SELECT id, name, type FROM entity WHERE id IN :ids", ids=entities)
    }
    aliases: dict[str, list[str]] = defaultdict(list)
    for e, alias in select_ids(
        connection, "SELECT entity_id, alias FROM entity_alias WHERE entity_id IN :ids ORDER BY id", ids=found
    ):
        aliases[e].append(alias)
    return {e: (name, type_, tuple(aliases[e])) for e, (name, type_, _) in found.items()}


def event_titles(connection: Connection, articles: Iterable[str]) -> dict[str, tuple[str, str]]:
    rows = select_ids(connection, "SELECT id, title, type FROM event WHERE article_id IN :ids", ids=articles)
    return {e: (title, type_) for e, title, type_ in rows}


def embedding(connection: Connection, kind: str, entities: set[str], sqls: dict[str, list[str]]) -> set[str]:
    """The facts of ``kind`` that embed one of ``entities``."""
    found: set[str] = set()
    for sql in sqls.get(kind, []):
        entity = sql.removeprefix("SELECT ").split(" FROM ")[0].split(", ")[1]
        found |= {row[0] for row in select_ids(connection, f"{sql} WHERE {entity} IN :ids", ids=entities)}
    return found


@dataclass
class Snapshot:
    """What the parts being redone were, before they are deleted."""

    articles: set[str]
    entities: set[str]
    summaries: dict[str, tuple[str, str, tuple[str, ...]]]
    events: dict[str, tuple[str, str]]
    referenced: set[str] = field(default_factory=set)  # entities their facts counted

    @classmethod
    def take(
        cls, connection: Connection, stored: dict[str, tuple[str, str | None, list[str]]], replaced: set[str]
    ) -> "Snapshot":
        articles = {a for p in replaced if p in stored and (a := stored[p][1])}
        entities = {e for p in replaced if p in stored for e in stored[p][2]}
        snapshot = cls(articles, entities, summaries(connection, entities), event_titles(connection, articles))
        snapshot.referenced = referenced(connection, snapshot.articles)
        return snapshot


def referenced(connection: Connection, articles: set[str]) -> set[str]:
    """The entities that the facts of ``articles`` are counted for (``Entity`` counts)."""
    found: set[str] = set()
    for kind, sqls in EMBEDDED.items():
        for sql in sqls:
            fact = sql.removeprefix("SELECT ").split(", ")[0]
            table = sql.split(" FROM ")[1]
            column = "id" if kind == "article" else "article_id"
            scope = (
                f"{column} IN :ids"
                if table in ("article", "mention", "quote", "pledge", "event")
                else f"{fact} IN (SELECT id FROM {kind} WHERE article_id IN :ids)"
            )
            found |= {row[1] for row in select_ids(connection, f"{sql} WHERE {scope}", ids=articles) if row[1]}
    return found


def delete_parts(connection: Connection, before: Snapshot) -> None:
    """Every row of the articles and entities being redone, and their search-index rows."""
    index = {
        (kind, id_): rowid
        for rowid, kind, id_ in connection.exec_driver_sql("SELECT rowid, kind, id FROM search_index")
    }
    facts = {(kind, id_) for (kind, id_) in index if kind not in ("entity", "article")}
    doomed = [
        rowid
        for (kind, id_), rowid in index.items()
        if (kind == "entity" and id_ in before.entities) or (kind == "article" and id_ in before.articles)
    ]
    for kind in ("quote", "pledge", "event"):
        own = {
            row[0]
            for row in select_ids(connection, f"SELECT id FROM {kind} WHERE article_id IN :ids", ids=before.articles)
        }
        doomed += [index[kind, id_] for id_ in own if (kind, id_) in facts]
    if doomed:
        connection.execute(*_expanding("DELETE FROM search_index WHERE rowid IN :ids", ids=doomed))
    for table, column in ARTICLE_ROWS.items():
        where = column if " IN " in column else f"{column} IN :ids"
        if before.articles:
            connection.execute(*_expanding(f"DELETE FROM {table} WHERE {where}", ids=before.articles))
    for table in ("entity_alias", "entity_affiliation", "entity"):
        column = "id" if table == "entity" else "entity_id"
        if before.entities:
            connection.execute(*_expanding(f"DELETE FROM {table} WHERE {column} IN :ids", ids=before.entities))


def insert_parts(connection: Connection, dataset: Dataset, replaced: set[str]) -> tuple[set[str], set[str]]:
    """The rows of the parts being redone, numbered after every row already there (``renumber`` puts them in
    place); their search-index rows. Returns their articles and entities."""
    entities = {e for part in replaced if part in dataset.parts for e in dataset.parts[part][1]}
    articles = {dataset.parts[part][0] for part in replaced if part in dataset.parts} - {None}
    by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in dataset.rows:
        owner = row.id if isinstance(row, Entity) else getattr(row, "entity_id", None)
        if isinstance(row, Entity | EntityAlias | EntityAffiliation) and owner not in entities:
            continue  # the registry, unchanged
        by_table[str(row.__tablename__)].append(row.model_dump())
    for table in SQLModel.metadata.sorted_tables:
        rows = by_table[table.name]
        if not rows:
            continue
        if "id" in rows[0] and rows[0]["id"] is None:
            last = connection.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table.name}").scalar() or 0
            for i, values in enumerate(rows, 1):
                values["id"] = last + i
        connection.execute(insert(table), rows)
    docs = [d for d in dataset.search if d.kind != "entity" or d.id in entities]
    keys = {(d.kind, d.id) for d in docs if d.kind in PEOPLE}
    if docs:
        connection.execute(*fts.index_rows(connection.dialect.name, docs, people_names(connection, keys)))
    return {a for a in articles if a}, entities


def _row(model: type[SQLModel], **values: Any) -> SQLModel:
    """A row with only the columns ``fts.people`` reads."""
    return model.model_construct(**values)


def people_names(connection: Connection, keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """``fts.people`` of these facts, from the database: the same rows, in the order a load gives them."""
    ids = {kind: {i for k, i in keys if k == kind} for kind in PEOPLE}
    rows: list[SQLModel] = []
    quotes = select_ids(connection, "SELECT id, speaker_id FROM quote WHERE id IN :ids", ids=ids["quote"])
    pledges = select_ids(
        connection, "SELECT id, donor_id, announced_by_id FROM pledge WHERE id IN :ids", ids=ids["pledge"]
    )
    recipients = select_ids(
        connection,
        "SELECT pledge_id, entity_id FROM pledge_recipient WHERE pledge_id IN :ids ORDER BY pledge_id, position",
        ids=ids["pledge"],
    )
    participants = select_ids(
        connection,
        "SELECT event_id, entity_id FROM event_participant WHERE event_id IN :ids ORDER BY event_id, position",
        ids=ids["event"],
    )
    people = {e for row in [*quotes, *pledges, *recipients, *participants] for e in row[1:] if e}
    for entity_id, (name, _, aliases) in summaries(connection, people).items():
        rows.append(_row(Entity, id=entity_id, name=name))
        rows += [_row(EntityAlias, entity_id=entity_id, alias=alias) for alias in aliases]
    rows += [_row(Quote, id=q, speaker_id=s) for q, s in quotes]
    rows += [_row(Pledge, id=p, donor_id=d, announced_by_id=a) for p, d, a in pledges]
    rows += [_row(PledgeRecipient, pledge_id=p, entity_id=e) for p, e in recipients]
    rows += [_row(EventParticipant, event_id=ev, entity_id=e) for ev, e in participants]
    return fts.people(rows)


COUNTS = {  # Entity count column -> SQL of (entity, what is counted) pairs, as the compiler counts them
    "mention_count": ["SELECT entity_id, article_id || ':' || start FROM mention"],
    "quote_count": ["SELECT speaker_id, id FROM quote"],
    "pledge_count": [
        "SELECT donor_id, id FROM pledge",
        "SELECT announced_by_id, id FROM pledge",
        "SELECT entity_id, pledge_id FROM pledge_recipient",
    ],
    "event_count": ["SELECT entity_id, event_id FROM event_participant", "SELECT location_id, id FROM event"],
}


def count_entities(connection: Connection, entities: set[str]) -> set[str]:
    """Count the facts of ``entities`` again (``Entity`` counts); those whose counts changed."""
    counted: dict[str, dict[str, set[Any]]] = defaultdict(lambda: defaultdict(set))
    for column, sqls in COUNTS.items():
        for sql in sqls:
            entity = sql.removeprefix("SELECT ").split(", ")[0]
            for entity_id, thing in select_ids(connection, f"{sql} WHERE {entity} IN :ids", ids=entities):
                counted[entity_id][column].add(thing)
    changed = []
    for entity_id, *stored in select_ids(
        connection, f"SELECT id, {', '.join(COUNTS)} FROM entity WHERE id IN :ids", ids=entities
    ):
        now = [len(counted[entity_id][column]) for column in COUNTS]
        if now != stored:
            changed.append({"_id": entity_id, **dict(zip(COUNTS, now, strict=True))})
    if changed:
        sets = ", ".join(f"{column} = :{column}" for column in COUNTS)
        connection.execute(text(f"UPDATE entity SET {sets} WHERE id = :_id"), changed)
    return {row["_id"] for row in changed}
