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
    CurrencyCode,
    ListParams,
    NoQuery,
    QueryModel,
    Resource,
    Slug,
    date_range,
    eq,
    fetch,
    gt,
    gte,
    linked,
    lt,
    lte,
    one_of,
)
from app.models import Pledge, PledgeInitiative, PledgeRecipient, PledgeStatus
from app.problems import PROBLEM_RESPONSES
from app.schemas import Page, PledgePublic
from app.sql import Prepared, in_values, json_value, values

router = APIRouter(prefix="/v1/pledges", tags=["pledges"], responses=PROBLEM_RESPONSES)


class PledgeFilter(ListParams):
    donor: Slug | None = Field(None, description="Only pledges given by this entity id.", examples=["united-states"])
    recipient: Slug | None = Field(None, description="Only pledges to this entity id.", examples=["kazakhstan"])
    announced_by: Slug | None = Field(
        None, description="Only pledges announced by this entity id.", examples=["antony-blinken"]
    )
    status: PledgeStatus | None = Field(None, description="Only pledges with this status.", examples=["new"])
    status__in: CommaList[PledgeStatus] | None = Field(
        None, description="Only pledges with one of these statuses.", examples=[["new", "reaffirmed"]]
    )
    currency: CurrencyCode | None = Field(
        None, description="Only money pledged in this ISO 4217 currency.", examples=["USD"]
    )
    amount__gte: float | None = Field(
        None,
        allow_inf_nan=False,
        description="Only money pledges of at least this amount (major units).",
        examples=[25000000],
    )
    amount__gt: float | None = Field(
        None, allow_inf_nan=False, description="Only money pledges of more than this amount."
    )
    amount__lte: float | None = Field(
        None,
        allow_inf_nan=False,
        description="Only money pledges of at most this amount (major units).",
        examples=[50000000],
    )
    amount__lt: float | None = Field(
        None, allow_inf_nan=False, description="Only money pledges of less than this amount."
    )
    announced_on__gte: Day | None = Field(
        None, description="Only pledges possibly announced on or after this date.", examples=["2023-01-01"]
    )
    announced_on__gt: Day | None = Field(None, description="Only pledges possibly announced after this date.")
    announced_on__lte: Day | None = Field(
        None, description="Only pledges possibly announced on or before this date.", examples=["2022-12-31"]
    )
    announced_on__lt: Day | None = Field(None, description="Only pledges possibly announced before this date.")


RESOURCE = Resource(
    name="pledges",
    table=Pledge,
    filters={
        "article": eq(Pledge.article_id),
        "donor": eq(Pledge.donor_id),
        "recipient": linked(Pledge.id, PledgeRecipient.pledge_id, PledgeRecipient.entity_id),
        "announced_by": eq(Pledge.announced_by_id),
        "status": eq(Pledge.status),
        "status__in": one_of(Pledge.status),
        "currency": eq(Pledge.currency),
        "amount__gte": gte(Pledge.amount),
        "amount__lte": lte(Pledge.amount),
        "amount__gt": gt(Pledge.amount),
        "amount__lt": lt(Pledge.amount),
        **date_range("announced_on", Pledge.announced_on_earliest, Pledge.announced_on_latest),
    },
    sorts={"announced_on": Pledge.announced_on_earliest, "donor": Pledge.donor_id, "status": Pledge.status},
    default_sort="announced_on",
    search_kind="pledge",
)


RECIPIENTS = Prepared(
    lambda: (
        select(PledgeRecipient.pledge_id, PledgeRecipient.entity_id)
        .where(in_values(PledgeRecipient.pledge_id, "ids"))
        .order_by(col(PledgeRecipient.position))
    )
)
INITIATIVES = Prepared(
    lambda: (
        select(PledgeInitiative.pledge_id, PledgeInitiative.name)
        .where(in_values(PledgeInitiative.pledge_id, "ids"))
        .order_by(col(PledgeInitiative.id))
    )
)


def shape(connection: Connection, pledges: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    ids = [p.id for p in pledges]
    recipients: dict[str, list[str]] = defaultdict(list)
    for pledge_id, entity_id in RECIPIENTS(connection, ids=values(ids)):
        recipients[pledge_id].append(entity_id)
    initiatives: dict[str, list[str]] = defaultdict(list)
    for pledge_id, name in INITIATIVES(connection, ids=values(ids)):
        initiatives[pledge_id].append(name)
    entities = embed.entity_summaries(
        connection,
        [p.donor_id for p in pledges]
        + [p.announced_by_id for p in pledges]
        + [e for entity_ids in recipients.values() for e in entity_ids],
    )
    evidence = embed.evidence(connection, "pledge", ids)
    return [
        {
            "id": p.id,
            "article": p.article_id,
            "donor": entities[p.donor_id],
            "announced_by": entities[p.announced_by_id] if p.announced_by_id else None,
            "recipients": [entities[e] for e in recipients[p.id]],
            "amount": _money(p),
            "purpose": p.purpose,
            "initiatives": initiatives[p.id],
            "status": p.status,
            "announced_on": json_value(p.announced_on),
            "evidence": evidence[p.id],
            "url": RESOURCE.url(p.id),
        }
        for p in pledges
    ]


def _money(pledge: Row[Any]) -> dict[str, Any] | None:
    if pledge.amount_minor is None or pledge.amount is None:
        return None
    amount = int(pledge.amount) if pledge.amount.is_integer() else pledge.amount
    return {
        "amount": amount,
        "amount_minor": pledge.amount_minor,
        "currency": pledge.currency,
        "text": pledge.amount_text,
    }


@router.get("", response_model=Page[PledgePublic])
async def list_pledges(
    params: Annotated[PledgeFilter, Depends(QueryModel(PledgeFilter))], connection: ConnectionDep, request: Request
) -> Response:
    """Pledges: money and support promised, with donor, announcer and recipients embedded.

    Sort keys: `announced_on` (default), `donor`, `status`, `id`.
    """
    return fetch(connection, RESOURCE, params, request).response()


@router.get("/{pledge_id}", response_model=PledgePublic)
async def read_pledge(
    pledge_id: Annotated[str, Path(description="Id of the pledge.", examples=["us-25m-central-asia-2023-02-28"])],
    _params: NoQuery,
    connection: ConnectionDep,
) -> Response:
    """One pledge by id."""
    return RESOURCE.document_response(connection, pledge_id)
