from collections import defaultdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import Field
from sqlmodel import Session, col, select

from app import embed
from app.db import SessionDep
from app.listing import CommaList, ListParams, NoQuery, Resource, date_range, eq, fetch, linked, one_of
from app.models import Event, EventParticipant, EventStatus, EventType
from app.problems import PROBLEM_RESPONSES, ProblemError
from app.schemas import EventPublic, Page

router = APIRouter(prefix="/v1/events", tags=["events"], responses=PROBLEM_RESPONSES)


class EventFilter(ListParams):
    type: EventType | None = Field(None, description="Only events of this type.", examples=["meeting"])
    type__in: CommaList[EventType] | None = Field(
        None, description="Only events of one of these types (comma-separated).", examples=[["meeting", "trip"]]
    )
    participant: str | None = Field(
        None, description="Only events this entity id takes part in.", examples=["sergei-lavrov"]
    )
    location: str | None = Field(None, description="Only events at this entity id.", examples=["astana"])
    status: EventStatus | None = Field(
        None, description="Only events that had occurred, or were planned, at publication.", examples=["planned"]
    )
    date__gte: date | None = Field(
        None, description="Only events whose date range reaches this date or later.", examples=["2023-03-01"]
    )
    date__gt: date | None = Field(None, description="Only events whose date range reaches past this date.")
    date__lte: date | None = Field(
        None, description="Only events whose date range starts on or before this date.", examples=["2022-12-31"]
    )
    date__lt: date | None = Field(None, description="Only events whose date range starts before this date.")


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


def shape(session: Session, events: list[Event]) -> list[dict[str, Any]]:
    ids = [e.id for e in events]
    participants: dict[str, list[EventParticipant]] = defaultdict(list)
    for link in session.exec(
        select(EventParticipant).where(col(EventParticipant.event_id).in_(ids)).order_by(col(EventParticipant.position))
    ).all():
        participants[link.event_id].append(link)
    entities = embed.entity_summaries(
        session,
        [e.location_id for e in events] + [p.entity_id for links in participants.values() for p in links],
    )
    evidence = embed.evidence(session, "event", ids)
    return [
        {
            "id": e.id,
            "article": e.article_id,
            "type": e.type,
            "title": e.title,
            "description": e.description,
            "date": e.date,
            "status": e.status,
            "location": entities[e.location_id] if e.location_id else None,
            "participants": [{"entity": entities[p.entity_id], "role": p.role} for p in participants[e.id]],
            "evidence": evidence[e.id],
            "url": RESOURCE.url(e.id),
        }
        for e in events
    ]


@router.get("", response_model_exclude_unset=True)
def list_events(
    params: Annotated[EventFilter, Query()], session: SessionDep, request: Request, response: Response
) -> Page[EventPublic]:
    """Events: what happened (or was planned) when and where, with location and participants embedded.

    `date__gte`/`date__lte` match events whose date range overlaps the bounds. Sort keys: `date` (default, by
    earliest possible day), `type`, `title`, `id`.
    """
    page = fetch(session, RESOURCE, params, request)
    return page.envelope(shape(session, list(page.rows)), response)  # type: ignore[return-value]


@router.get("/{event_id}")
def read_event(
    event_id: Annotated[str, Path(description="Id of the event.", examples=["c5-plus-1-ministerial-2023-02-28"])],
    _params: NoQuery,
    session: SessionDep,
) -> EventPublic:
    """One event by id."""
    event = session.get(Event, event_id)
    if event is None:
        raise ProblemError(404, f"There is no event {event_id!r}.")
    return shape(session, [event])[0]  # type: ignore[return-value]
