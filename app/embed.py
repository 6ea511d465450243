"""Batch look-ups that embed related data into a page of facts: one query per kind of data, whatever the
page size (no N+1)."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from app.models import Entity, Event, Evidence


def entity_summaries(session: Session, ids: Iterable[str | None]) -> dict[str, dict[str, str]]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(Entity.id, Entity.name, Entity.type).where(col(Entity.id).in_(wanted))).all()
    return {id_: {"id": id_, "name": name, "type": type_} for id_, name, type_ in rows}


def event_summaries(session: Session, ids: Iterable[str | None]) -> dict[str, dict[str, str]]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(Event.id, Event.title, Event.type).where(col(Event.id).in_(wanted))).all()
    return {id_: {"id": id_, "title": title, "type": type_} for id_, title, type_ in rows}


def evidence(session: Session, subject_type: str, ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    rows = session.exec(
        select(Evidence)
        .where(Evidence.subject_type == subject_type, col(Evidence.subject_id).in_(set(ids)))
        .order_by(col(Evidence.id))
    ).all()
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        found[row.subject_id].append(
            {
                "article": row.article_id,
                "role": row.role,
                "start": row.start,
                "end": row.end,
                "text": row.text,
            }
        )
    return found
