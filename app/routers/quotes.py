from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from app.lanes import served
from app.listing import QueryModel, read
from app.params import ItemParams, ListParams, Slug
from app.problems import PROBLEM_RESPONSES
from app.resources import QUOTES
from app.schemas import QuotePage, QuotePublic
from app.streaming import page

router = APIRouter(prefix="/v1/quotes", tags=["quotes"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=QuotePage)
async def list_quotes(params: Annotated[ListParams, Depends(QueryModel(QUOTES.query))], request: Request) -> Response:
    """Quotes: who said what, with the speaker, the event and the entities referred to embedded.

    Sort keys: `said_on` (default), `speaker`, `kind`, `id`.
    """
    return await served(request, lambda connection: page(connection, QUOTES, params, request))


@router.get("/{quote_id}", response_model=QuotePublic)
async def read_quote(
    quote_id: Annotated[Slug, Path(description="Id of the quote.", examples=["diplomat-tread-very-carefully"])],
    params: Annotated[ItemParams, Depends(QueryModel(QUOTES.item_query))],
    request: Request,
) -> Response:
    """One quote by id."""
    return await served(request, lambda connection: read(connection, QUOTES, quote_id, params, request))
