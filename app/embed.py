"""Batch look-ups that embed related data into a page of facts: one query per kind of data, whatever the
page size (no N+1)."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam
from sqlalchemy import select as core_select
from sqlmodel import col, select

from app.models import Entity, Event, Evidence
from app.sql import Prepared, in_values, values

EVIDENCE = Evidence.__table__.c  # type: ignore[attr-defined]

ENTITIES = Prepared(lambda: select(Entity.id, Entity.name, Entity.type).where(in_values(Entity.id, "ids")))
EVENTS = Prepared(lambda: select(Event.id, Event.title, Event.type).where(in_values(Event.id, "ids")))
EVIDENCE_OF = Prepared(
    lambda: (
        core_select(
            EVIDENCE.subject_id, EVIDENCE.article_id, EVIDENCE.role, EVIDENCE.start, EVIDENCE.end, EVIDENCE.text
        )
        .where(EVIDENCE.subject_type == bindparam("subject_type"), in_values(EVIDENCE.subject_id, "ids"))
        .order_by(col(Evidence.id))
    )
)


def entity_summaries(connection: Connection, ids: Iterable[str | None]) -> dict[str, dict[str, str]]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = ENTITIES(connection, ids=values(wanted))
    return {id_: {"id": id_, "name": name, "type": type_} for id_, name, type_ in rows}


def event_summaries(connection: Connection, ids: Iterable[str | None]) -> dict[str, dict[str, str]]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = EVENTS(connection, ids=values(wanted))
    return {id_: {"id": id_, "title": title, "type": type_} for id_, title, type_ in rows}


def evidence(connection: Connection, subject_type: str, ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for subject_id, article_id, role, start, end, text in EVIDENCE_OF(
        connection, subject_type=subject_type, ids=values(set(ids))
    ):
        found[subject_id].append({"article": article_id, "role": role, "start": start, "end": end, "text": text})
    return found
