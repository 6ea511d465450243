from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from app.lanes import served
from app.listing import QueryModel, read
from app.params import ItemParams, ListParams, Slug
from app.problems import PROBLEM_RESPONSES
from app.resources import ENTITIES
from app.schemas import EntityDetail, EntityPage
from app.streaming import page

router = APIRouter(prefix="/v1/entities", tags=["entities"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=EntityPage)
async def list_entities(
    params: Annotated[ListParams, Depends(QueryModel(ENTITIES.query))], request: Request
) -> Response:
    """Entities: the people, countries, organizations, places and groups the articles name.

    `q` matches names, aliases and descriptions. Sort keys: `name` (default), `type`, `mentions`, `quotes`, `id`.
    """
    return await served(request, lambda connection: page(connection, ENTITIES, params, request))


@router.get("/{entity_id}", response_model=EntityDetail)
async def read_entity(
    entity_id: Annotated[Slug, Path(description="Id of the entity.", examples=["antony-blinken"])],
    params: Annotated[ItemParams, Depends(QueryModel(ENTITIES.item_query))],
    request: Request,
) -> Response:
    """One entity with its affiliations, its first mentions (its evidence) and links to its facts."""
    return await served(request, lambda connection: read(connection, ENTITIES, entity_id, params, request))
