from collections import defaultdict
from collections.abc import Sequence
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import Field
from sqlalchemy import Connection, Row, bindparam
from sqlmodel import col, select

from app import embed
from app.db import ConnectionDep
from app.listing import CommaList, CountryCode, ListParams, NoQuery, QueryModel, Resource, eq, fetch, linked, one_of
from app.models import Entity, EntityAffiliation, EntityAlias, EntityType, Mention
from app.problems import PROBLEM_RESPONSES
from app.responses import json_response
from app.schemas import EntityDetail, EntityPublic, Page
from app.sql import Prepared, in_values, values

router = APIRouter(prefix="/v1/entities", tags=["entities"], responses=PROBLEM_RESPONSES)


class EntityFilter(ListParams):
    type: EntityType | None = Field(None, description="Only entities of this type.", examples=["person"])
    type__in: CommaList[EntityType] | None = Field(
        None, description="Only entities of one of these types (comma-separated).", examples=[["person", "country"]]
    )
    country_code: CountryCode | None = Field(
        None, description="Only entities with this ISO 3166-1 alpha-2 code.", examples=["KZ"]
    )
    country_code__in: CommaList[CountryCode] | None = Field(
        None, description="Only entities with one of these country codes.", examples=[["KZ", "UZ"]]
    )


RESOURCE = Resource(
    name="entities",
    table=Entity,
    filters={
        "article": linked(Entity.id, Mention.entity_id, Mention.article_id),
        "type": eq(Entity.type),
        "type__in": one_of(Entity.type),
        "country_code": eq(Entity.country_code),
        "country_code__in": one_of(Entity.country_code),
    },
    sorts={
        "name": Entity.name,
        "type": Entity.type,
        "mentions": Entity.mention_count,
        "quotes": Entity.quote_count,
    },
    default_sort="name",
    search_kind="entity",
)


ALIASES = Prepared(
    lambda: (
        select(EntityAlias.entity_id, EntityAlias.alias)
        .where(in_values(EntityAlias.entity_id, "ids"))
        .order_by(col(EntityAlias.id))
    )
)
AFFILIATIONS = Prepared(
    lambda: (
        select(EntityAffiliation.role, EntityAffiliation.organization_id)
        .where(EntityAffiliation.entity_id == bindparam("id"))
        .order_by(col(EntityAffiliation.id))
    )
)
MENTIONS = Prepared(
    lambda: (
        select(Mention.article_id, Mention.start, Mention.end, Mention.text)
        .where(Mention.entity_id == bindparam("id"))
        .order_by(col(Mention.article_id), col(Mention.start))
        .limit(bindparam("limit"))
    )
)
# A detail embeds this many mentions at most: a head of state is mentioned in every other article, and a detail
# must stay small and fast. `counts.mentions` has the total.
MAX_MENTIONS = 100


def shape(connection: Connection, entities: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    aliases: dict[str, list[str]] = defaultdict(list)
    for entity_id, alias in ALIASES(connection, ids=values([e.id for e in entities])):
        aliases[entity_id].append(alias)
    return [
        {
            "id": e.id,
            "type": e.type,
            "name": e.name,
            "description": e.description,
            "country_code": e.country_code,
            "aliases": aliases[e.id],
            "counts": {
                "mentions": e.mention_count,
                "quotes": e.quote_count,
                "pledges": e.pledge_count,
                "events": e.event_count,
            },
            "url": RESOURCE.url(e.id),
        }
        for e in entities
    ]


@router.get("", response_model=Page[EntityPublic])
async def list_entities(
    params: Annotated[EntityFilter, Depends(QueryModel(EntityFilter))], connection: ConnectionDep, request: Request
) -> Response:
    """Entities: the people, countries, organizations, places and groups the articles name.

    `q` matches names, aliases and descriptions. Sort keys: `name` (default), `type`, `mentions`, `quotes`, `id`.
    """
    return fetch(connection, RESOURCE, params, request).response()


@router.get("/{entity_id}", response_model=EntityDetail)
async def read_entity(
    entity_id: Annotated[str, Path(description="Id of the entity.", examples=["antony-blinken"])],
    _params: NoQuery,
    connection: ConnectionDep,
) -> Response:
    """One entity with its affiliations, every mention (its evidence) and links to its facts."""
    return json_response(detail(connection, entity_id))


def detail(connection: Connection, entity_id: str) -> dict[str, Any]:
    entity: dict[str, Any] = orjson.loads(RESOURCE.get(connection, entity_id).doc)
    affiliations = AFFILIATIONS(connection, id=entity_id)
    organizations = embed.entity_summaries(connection, [org for _, org in affiliations])
    mentions = MENTIONS(connection, id=entity_id, limit=MAX_MENTIONS)
    entity["affiliations"] = [
        {"role": role, "organization": organizations.get(org) if org else None} for role, org in affiliations
    ]
    entity["mentions"] = [
        {"article": article, "start": start, "end": end, "text": text} for article, start, end, text in mentions
    ]
    entity["links"] = {
        "quotes": f"/v1/quotes?speaker={entity_id}",
        "quotes_mentioning": f"/v1/quotes?mentions={entity_id}",
        "pledges_given": f"/v1/pledges?donor={entity_id}",
        "pledges_received": f"/v1/pledges?recipient={entity_id}",
        "pledges_announced": f"/v1/pledges?announced_by={entity_id}",
        "events": f"/v1/events?participant={entity_id}",
        "events_located": f"/v1/events?location={entity_id}",
    }
    return entity
