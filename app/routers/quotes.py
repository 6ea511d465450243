from collections import defaultdict
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import Field
from sqlalchemy import Connection, Row
from sqlmodel import select

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
from app.models import Quote, QuoteKind, QuoteMention
from app.problems import PROBLEM_RESPONSES
from app.schemas import Page, QuotePublic
from app.sql import Prepared, in_values, json_value, values

router = APIRouter(prefix="/v1/quotes", tags=["quotes"], responses=PROBLEM_RESPONSES)


class QuoteFilter(ListParams):
    speaker: Slug | None = Field(None, description="Only quotes said by this entity id.", examples=["antony-blinken"])
    speaker__in: CommaList[Slug] | None = Field(
        None,
        description="Only quotes said by one of these entity ids (comma-separated).",
        examples=[["kassym-jomart-tokayev", "dmitry-peskov"]],
    )
    kind: QuoteKind | None = Field(None, description="Only quotes of this kind.", examples=["direct"])
    mentions: Slug | None = Field(None, description="Only quotes that refer to this entity id.", examples=["joe-biden"])
    said_on__gte: Day | None = Field(
        None, description="Only quotes possibly said on or after this date.", examples=["2023-02-28"]
    )
    said_on__gt: Day | None = Field(None, description="Only quotes possibly said after this date.")
    said_on__lte: Day | None = Field(
        None, description="Only quotes possibly said on or before this date.", examples=["2023-02-27"]
    )
    said_on__lt: Day | None = Field(None, description="Only quotes possibly said before this date.")
    event: Slug | None = Field(
        None, description="Only quotes said at this event id.", examples=["blinken-tokayev-meeting-2023-02-28"]
    )


RESOURCE = Resource(
    name="quotes",
    table=Quote,
    filters={
        "article": eq(Quote.article_id),
        "speaker": eq(Quote.speaker_id),
        "speaker__in": one_of(Quote.speaker_id),
        "kind": eq(Quote.kind),
        "mentions": linked(Quote.id, QuoteMention.quote_id, QuoteMention.entity_id),
        **date_range("said_on", Quote.said_on_earliest, Quote.said_on_latest),
        "event": eq(Quote.event_id),
    },
    sorts={"said_on": Quote.said_on_earliest, "speaker": Quote.speaker_id, "kind": Quote.kind},
    default_sort="said_on",
    search_kind="quote",
)


MENTIONS = Prepared(
    lambda: select(QuoteMention.quote_id, QuoteMention.entity_id).where(in_values(QuoteMention.quote_id, "ids"))
)


def shape(connection: Connection, quotes: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    ids = [q.id for q in quotes]
    mentioned: dict[str, list[str]] = defaultdict(list)
    links = MENTIONS(connection, ids=values(ids))
    for quote_id, entity_id in links:
        mentioned[quote_id].append(entity_id)
    entities = embed.entity_summaries(connection, [q.speaker_id for q in quotes] + [e for _, e in links])
    events = embed.event_summaries(connection, [q.event_id for q in quotes])
    evidence = embed.evidence(connection, "quote", ids)
    return [
        {
            "id": q.id,
            "article": q.article_id,
            "speaker": entities[q.speaker_id],
            "kind": q.kind,
            "text": q.text,
            "said_on": json_value(q.said_on),
            "event": events.get(q.event_id) if q.event_id else None,
            "mentions": sorted((entities[e] for e in mentioned[q.id]), key=lambda e: e["name"]),
            "evidence": evidence[q.id],
            "url": RESOURCE.url(q.id),
        }
        for q in quotes
    ]


@router.get("", response_model=Page[QuotePublic])
async def list_quotes(
    params: Annotated[QuoteFilter, Depends(QueryModel(QuoteFilter))], connection: ConnectionDep, request: Request
) -> Response:
    """Quotes: who said what, with the speaker, the event and the entities referred to embedded.

    Sort keys: `said_on` (default), `speaker`, `kind`, `id`.
    """
    return fetch(connection, RESOURCE, params, request).response()


@router.get("/{quote_id}", response_model=QuotePublic)
async def read_quote(
    quote_id: Annotated[str, Path(description="Id of the quote.", examples=["diplomat-tread-very-carefully"])],
    _params: NoQuery,
    connection: ConnectionDep,
) -> Response:
    """One quote by id."""
    return RESOURCE.document_response(connection, quote_id)
