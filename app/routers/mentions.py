from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from app.lanes import served
from app.listing import QueryModel, read
from app.params import ItemParams, ListParams, Slug
from app.problems import PROBLEM_RESPONSES, ProblemError
from app.resources import MENTIONS
from app.schemas import MentionPage, MentionPublic
from app.streaming import page

MAX_DIGITS = 18  # any number a 64-bit id column can hold; a longer one is no mention, not a database error
router = APIRouter(prefix="/v1/mentions", tags=["mentions"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=MentionPage)
async def list_mentions(
    params: Annotated[ListParams, Depends(QueryModel(MENTIONS.query))], request: Request
) -> Response:
    """Mentions: each occurrence of an entity in an article (the entities' evidence), with the entity embedded.

    Offsets come both ways: `start`/`end` in code points, `start_utf16`/`end_utf16` for JavaScript. `q` matches
    the entities' names, aliases and descriptions. Sort keys: `article` (the default: each article's mentions in reading
    order), `entity`, `id`.
    """
    return await served(request, lambda connection: page(connection, MENTIONS, params, request))


@router.get("/{mention_id}", response_model=MentionPublic)
async def read_mention(
    mention_id: Annotated[Slug, Path(description="Number of the mention (its `id`).", examples=["1"])],
    params: Annotated[ItemParams, Depends(QueryModel(MENTIONS.item_query))],
    request: Request,
) -> Response:
    """One mention by number (numbers are stable for a dataset version: `/v1` `dataset.version`)."""
    if not (mention_id.isascii() and mention_id.isdigit() and len(mention_id) <= MAX_DIGITS):
        raise ProblemError(404, f"There is no mention {mention_id!r}.")
    return await served(request, lambda connection: read(connection, MENTIONS, int(mention_id), params, request))
