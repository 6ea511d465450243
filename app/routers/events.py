from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from app.lanes import served
from app.listing import QueryModel, read
from app.params import ItemParams, ListParams, Slug
from app.problems import PROBLEM_RESPONSES
from app.resources import EVENTS
from app.schemas import EventPage, EventPublic
from app.streaming import page

router = APIRouter(prefix="/v1/events", tags=["events"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=EventPage)
async def list_events(params: Annotated[ListParams, Depends(QueryModel(EVENTS.query))], request: Request) -> Response:
    """Events: what happened (or was planned) when and where, with location and participants embedded.

    `date__gte`/`date__lte` match events whose date range overlaps the bounds. Sort keys: `date` (default, by
    earliest possible day), `type`, `title`, `id`.
    """
    return await served(request, lambda connection: page(connection, EVENTS, params, request))


@router.get("/{event_id}", response_model=EventPublic)
async def read_event(
    event_id: Annotated[Slug, Path(description="Id of the event.", examples=["c5-plus-1-ministerial-2023-02-28"])],
    params: Annotated[ItemParams, Depends(QueryModel(EVENTS.item_query))],
    request: Request,
) -> Response:
    """One event by id."""
    return await served(request, lambda connection: read(connection, EVENTS, event_id, params, request))
