from collections.abc import Sequence
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import Field
from sqlalchemy import Connection, Row

from app import embed
from app.dates import Day
from app.db import ConnectionDep
from app.listing import LanguageCode, ListParams, NoQuery, QueryModel, Resource, Slug, date_range, eq, fetch
from app.models import Article
from app.problems import PROBLEM_RESPONSES
from app.responses import json_response
from app.schemas import ArticleDetail, ArticlePublic, Page
from app.sql import json_value

router = APIRouter(prefix="/v1/articles", tags=["articles"], responses=PROBLEM_RESPONSES)


class ArticleFilter(ListParams):
    publisher: Slug | None = Field(
        None, description="Only articles by this publisher entity id.", examples=["the-moscow-times"]
    )
    language: LanguageCode | None = Field(
        None, description="Only articles in this ISO 639-1 language.", examples=["en"]
    )
    published_on__gte: Day | None = Field(
        None, description="Only articles possibly published on or after this date.", examples=["2023-02-01"]
    )
    published_on__gt: Day | None = Field(None, description="Only articles possibly published after this date.")
    published_on__lte: Day | None = Field(
        None, description="Only articles possibly published on or before this date.", examples=["2023-03-31"]
    )
    published_on__lt: Day | None = Field(None, description="Only articles possibly published before this date.")


RESOURCE = Resource(
    name="articles",
    table=Article,
    filters={
        "article": eq(Article.id),
        "publisher": eq(Article.publisher_id),
        "language": eq(Article.language),
        **date_range("published_on", Article.published_on_earliest, Article.published_on_latest),
    },
    sorts={"published_on": Article.published_on_earliest, "title": Article.title},
    default_sort="-published_on",
    search_kind="article",
)


def shape(connection: Connection, articles: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    publishers = embed.entity_summaries(connection, [a.publisher_id for a in articles])
    evidence = embed.evidence(connection, "article", [a.id for a in articles])
    return [
        {
            "id": a.id,
            "title": a.title,
            "publisher": publishers[a.publisher_id],
            "published_on": json_value(a.published_on),
            "language": a.language,
            "source_url": a.url,
            "body": {"start": a.body_start, "end": a.body_end},
            "evidence": evidence[a.id],
            "url": RESOURCE.url(a.id),
        }
        for a in articles
    ]


@router.get("", response_model=Page[ArticlePublic])
async def list_articles(
    params: Annotated[ArticleFilter, Depends(QueryModel(ArticleFilter))], connection: ConnectionDep, request: Request
) -> Response:
    """Articles, without their text (ask for one article to get it).

    `q` matches the article body. Sort keys: `published_on` (default descending), `title`, `id`.
    """
    return fetch(connection, RESOURCE, params, request).response()


@router.get("/{article_id}", response_model=ArticleDetail)
async def read_article(
    article_id: Annotated[str, Path(description="Id of the article.", examples=["mt-2023-02-28-blinken-central-asia"])],
    _params: NoQuery,
    connection: ConnectionDep,
) -> Response:
    """One article with its full verbatim `text`: every evidence offset in the API points into it."""
    return json_response(detail(connection, article_id))


def detail(connection: Connection, article_id: str) -> dict[str, Any]:
    article = RESOURCE.get(connection, article_id)
    return {**orjson.loads(article.doc), "text": article.text}
