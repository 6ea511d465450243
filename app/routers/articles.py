from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import Field
from sqlmodel import Session

from app import embed
from app.db import SessionDep
from app.listing import ListParams, NoQuery, Resource, date_range, eq, fetch
from app.models import Article
from app.problems import PROBLEM_RESPONSES, ProblemError
from app.schemas import ArticleDetail, ArticlePublic, Page

router = APIRouter(prefix="/v1/articles", tags=["articles"], responses=PROBLEM_RESPONSES)


class ArticleFilter(ListParams):
    publisher: str | None = Field(
        None, description="Only articles by this publisher entity id.", examples=["the-moscow-times"]
    )
    language: str | None = Field(None, description="Only articles in this ISO 639-1 language.", examples=["en"])
    published_on__gte: date | None = Field(
        None, description="Only articles possibly published on or after this date.", examples=["2023-02-01"]
    )
    published_on__gt: date | None = Field(None, description="Only articles possibly published after this date.")
    published_on__lte: date | None = Field(
        None, description="Only articles possibly published on or before this date.", examples=["2023-03-31"]
    )
    published_on__lt: date | None = Field(None, description="Only articles possibly published before this date.")


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


def shape(session: Session, articles: list[Article]) -> list[dict[str, Any]]:
    publishers = embed.entity_summaries(session, [a.publisher_id for a in articles])
    evidence = embed.evidence(session, "article", [a.id for a in articles])
    return [
        {
            "id": a.id,
            "title": a.title,
            "publisher": publishers[a.publisher_id],
            "published_on": a.published_on,
            "language": a.language,
            "source_url": a.url,
            "body": {"start": a.body_start, "end": a.body_end},
            "evidence": evidence[a.id],
            "url": RESOURCE.url(a.id),
        }
        for a in articles
    ]


@router.get("", response_model_exclude_unset=True)
def list_articles(
    params: Annotated[ArticleFilter, Query()], session: SessionDep, request: Request, response: Response
) -> Page[ArticlePublic]:
    """Articles, without their text (ask for one article to get it).

    `q` matches the article body. Sort keys: `published_on` (default descending), `title`, `id`.
    """
    page = fetch(session, RESOURCE, params, request)
    return page.envelope(shape(session, list(page.rows)), response)  # type: ignore[return-value]


@router.get("/{article_id}")
def read_article(
    article_id: Annotated[str, Path(description="Id of the article.", examples=["mt-2023-02-28-blinken-central-asia"])],
    _params: NoQuery,
    session: SessionDep,
) -> ArticleDetail:
    """One article with its full verbatim `text`: every evidence offset in the API points into it."""
    article = session.get(Article, article_id)
    if article is None:
        raise ProblemError(404, f"There is no article {article_id!r}.")
    return {**shape(session, [article])[0], "text": article.text}  # type: ignore[return-value]
