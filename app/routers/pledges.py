from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from app.lanes import served
from app.listing import QueryModel, read
from app.params import ItemParams, ListParams, Slug
from app.problems import PROBLEM_RESPONSES
from app.resources import PLEDGES
from app.schemas import PledgePage, PledgePublic
from app.streaming import page

router = APIRouter(prefix="/v1/pledges", tags=["pledges"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=PledgePage)
async def list_pledges(params: Annotated[ListParams, Depends(QueryModel(PLEDGES.query))], request: Request) -> Response:
    """Pledges: money and support promised, with donor, announcer and recipients embedded.

    Sort keys: `announced_on` (default), `donor`, `status`, `id`.
    """
    return await served(request, lambda connection: page(connection, PLEDGES, params, request))


@router.get("/{pledge_id}", response_model=PledgePublic)
async def read_pledge(
    pledge_id: Annotated[Slug, Path(description="Id of the pledge.", examples=["us-25m-central-asia-2023-02-28"])],
    params: Annotated[ItemParams, Depends(QueryModel(PLEDGES.item_query))],
    request: Request,
) -> Response:
    """One pledge by id."""
    return await served(request, lambda connection: read(connection, PLEDGES, pledge_id, params, request))
