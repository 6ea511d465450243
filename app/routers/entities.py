from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import Field
from sqlmodel import Session, col, select

from app import embed
from app.db import SessionDep
from app.listing import CommaList, ListParams, NoQuery, Resource, eq, fetch, linked, one_of
from app.models import Entity, EntityAffiliation, EntityAlias, EntityType, Mention
from app.problems import PROBLEM_RESPONSES, ProblemError
from app.schemas import EntityDetail, EntityPublic, Page

router = APIRouter(prefix="/v1/entities", tags=["entities"], responses=PROBLEM_RESPONSES)


class EntityFilter(ListParams):
    type: EntityType | None = Field(None, description="Only entities of this type.", examples=["person"])
    type__in: CommaList[EntityType] | None = Field(
        None, description="Only entities of one of these types (comma-separated).", examples=[["person", "country"]]
    )
    country_code: str | None = Field(
        None, description="Only entities with this ISO 3166-1 alpha-2 code.", examples=["KZ"]
    )
    country_code__in: CommaList[str] | None = Field(
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


def shape(session: Session, entities: list[Entity]) -> list[dict[str, Any]]:
    aliases: dict[str, list[str]] = defaultdict(list)
    for alias in session.exec(
        select(EntityAlias)
        .where(col(EntityAlias.entity_id).in_([e.id for e in entities]))
        .order_by(col(EntityAlias.id))
    ).all():
        aliases[alias.entity_id].append(alias.alias)
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


@router.get("", response_model_exclude_unset=True)
def list_entities(
    params: Annotated[EntityFilter, Query()], session: SessionDep, request: Request, response: Response
) -> Page[EntityPublic]:
    """Entities: the people, countries, organizations, places and groups the articles name.

    `q` matches names, aliases and descriptions. Sort keys: `name` (default), `type`, `mentions`, `quotes`, `id`.
    """
    page = fetch(session, RESOURCE, params, request)
    return page.envelope(shape(session, list(page.rows)), response)  # type: ignore[return-value]


@router.get("/{entity_id}")
def read_entity(
    entity_id: Annotated[str, Path(description="Id of the entity.", examples=["antony-blinken"])],
    _params: NoQuery,
    session: SessionDep,
) -> EntityDetail:
    """One entity with its affiliations, every mention (its evidence) and links to its facts."""
    entity = session.get(Entity, entity_id)
    if entity is None:
        raise ProblemError(404, f"There is no entity {entity_id!r}.")
    detail = shape(session, [entity])[0]
    affiliations = session.exec(
        select(EntityAffiliation).where(EntityAffiliation.entity_id == entity_id).order_by(col(EntityAffiliation.id))
    ).all()
    organizations = embed.entity_summaries(session, [a.organization_id for a in affiliations])
    mentions = session.exec(
        select(Mention).where(Mention.entity_id == entity_id).order_by(col(Mention.article_id), col(Mention.start))
    ).all()
    detail["affiliations"] = [
        {"role": a.role, "organization": organizations.get(a.organization_id) if a.organization_id else None}
        for a in affiliations
    ]
    detail["mentions"] = [{"article": m.article_id, "start": m.start, "end": m.end, "text": m.text} for m in mentions]
    detail["links"] = {
        "quotes": f"/v1/quotes?speaker={entity_id}",
        "quotes_mentioning": f"/v1/quotes?mentions={entity_id}",
        "pledges_given": f"/v1/pledges?donor={entity_id}",
        "pledges_received": f"/v1/pledges?recipient={entity_id}",
        "pledges_announced": f"/v1/pledges?announced_by={entity_id}",
        "events": f"/v1/events?participant={entity_id}",
        "events_located": f"/v1/events?location={entity_id}",
    }
    return detail  # type: ignore[return-value]
