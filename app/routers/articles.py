from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from app.db import ConnectionDep
from app.listing import QueryModel, read
from app.params import ItemParams, ListParams
from app.problems import PROBLEM_RESPONSES
from app.resources import ARTICLES
from app.schemas import ArticleDetail, ArticlePublic, Page
from app.streaming import page

router = APIRouter(prefix="/v1/articles", tags=["articles"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=Page[ArticlePublic])
async def list_articles(
    params: Annotated[ListParams, Depends(QueryModel(ARTICLES.query))], connection: ConnectionDep, request: Request
) -> Response:
    """Articles, without their text (ask for one article to get it).

    `q` matches the article body. Sort keys: `published_on` (default descending), `title`, `id`.
    """
    return page(connection, ARTICLES, params, request)


@router.get("/{article_id}", response_model=ArticleDetail)
async def read_article(
    article_id: Annotated[str, Path(description="Id of the article.", examples=["mt-2023-02-28-blinken-central-asia"])],
    params: Annotated[ItemParams, Depends(QueryModel(ARTICLES.item_query))],
    connection: ConnectionDep,
    request: Request,
) -> Response:
    """One article with its full verbatim `text`: every evidence offset in the API points into it."""
    return read(connection, ARTICLES, article_id, params, request)
