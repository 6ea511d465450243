from collections import defaultdict
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import Field
from sqlalchemy import Connection, Row
from sqlmodel import col, select

from app import embed
from app.dates import Day
from app.db import ConnectionDep
from app.listing import (
    CommaList,
    ListParams,
    NoQuery,
    QueryModel,
    Resource,
    Slug,
    date_range,
    eq,
    fetch,
    linked,
    one_of,
)
from app.models import Event, EventParticipant, EventStatus, EventType
from app.problems import PROBLEM_RESPONSES
from app.schemas import EventPublic, Page
from app.sql import Prepared, in_values, json_value, values

router = APIRouter(prefix="/v1/events", tags=["events"], responses=PROBLEM_RESPONSES)


class EventFilter(ListParams):
    type: EventType | None = Field(None, description="Only events of this type.", examples=["meeting"])
    type__in: CommaList[EventType] | None = Field(
        None, description="Only events of one of these types (comma-separated).", examples=[["meeting", "trip"]]
    )
    participant: Slug | None = Field(
        None, description="Only events this entity id takes part in.", examples=["sergei-lavrov"]
    )
    location: Slug | None = Field(None, description="Only events at this entity id.", examples=["astana"])
    status: EventStatus | None = Field(
        None, description="Only events that had occurred, or were planned, at publication.", examples=["planned"]
    )
    date__gte: Day | None = Field(
        None, description="Only events whose date range reaches this date or later.", examples=["2023-03-01"]
    )
    date__gt: Day | None = Field(None, description="Only events whose date range reaches past this date.")
    date__lte: Day | None = Field(
        None, description="Only events whose date range starts on or before this date.", examples=["2022-12-31"]
    )
    date__lt: Day | None = Field(None, description="Only events whose date range starts before this date.")


RESOURCE = Resource(
    name="events",
    table=Event,
    filters={
        "article": eq(Event.article_id),
        "type": eq(Event.type),
        "type__in": one_of(Event.type),
        "participant": linked(Event.id, EventParticipant.event_id, EventParticipant.entity_id),
        "location": eq(Event.location_id),
        "status": eq(Event.status),
        **date_range("date", Event.date_earliest, Event.date_latest),
    },
    sorts={"date": Event.date_earliest, "type": Event.type, "title": Event.title},
    default_sort="date",
    search_kind="event",
)


PARTICIPANTS = Prepared(
    lambda: (
        select(EventParticipant.event_id, EventParticipant.entity_id, EventParticipant.role)
        .where(in_values(EventParticipant.event_id, "ids"))
        .order_by(col(EventParticipant.position))
    )
)


def shape(connection: Connection, events: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    ids = [e.id for e in events]
    participants: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for event_id, entity_id, role in PARTICIPANTS(connection, ids=values(ids)):
        participants[event_id].append((entity_id, role))
    entities = embed.entity_summaries(
        connection,
        [e.location_id for e in events] + [entity_id for links in participants.values() for entity_id, _ in links],
    )
    evidence = embed.evidence(connection, "event", ids)
    return [
        {
            "id": e.id,
            "article": e.article_id,
            "type": e.type,
            "title": e.title,
            "description": e.description,
            "date": json_value(e.date),
            "status": e.status,
            "location": entities[e.location_id] if e.location_id else None,
            "participants": [{"entity": entities[entity_id], "role": role} for entity_id, role in participants[e.id]],
            "evidence": evidence[e.id],
            "url": RESOURCE.url(e.id),
        }
        for e in events
    ]


@router.get("", response_model=Page[EventPublic])
async def list_events(
    params: Annotated[EventFilter, Depends(QueryModel(EventFilter))], connection: ConnectionDep, request: Request
) -> Response:
    """Events: what happened (or was planned) when and where, with location and participants embedded.

    `date__gte`/`date__lte` match events whose date range overlaps the bounds. Sort keys: `date` (default, by
    earliest possible day), `type`, `title`, `id`.
    """
    return fetch(connection, RESOURCE, params, request).response()


@router.get("/{event_id}", response_model=EventPublic)
async def read_event(
    event_id: Annotated[str, Path(description="Id of the event.", examples=["c5-plus-1-ministerial-2023-02-28"])],
    _params: NoQuery,
    connection: ConnectionDep,
) -> Response:
    """One event by id."""
    return RESOURCE.document_response(connection, event_id)
