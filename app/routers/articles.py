from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from app import annotate, references
from app.lanes import served
from app.listing import QueryModel, read
from app.models import AnnotationRole, Entity, FactType
from app.params import CommaList, ItemParams, ListParams, Slug
from app.problems import PROBLEM_RESPONSES, ProblemError
from app.resources import ARTICLE_EXAMPLE, ARTICLES
from app.responses import json_response
from app.schemas import AnnotationPage, ArticleDetail, ArticlePage
from app.sql import json_value, run, values
from app.streaming import page

router = APIRouter(prefix="/v1/articles", tags=["articles"], responses=PROBLEM_RESPONSES)
ArticleId = Annotated[Slug, Path(description="Id of the article.", examples=[ARTICLE_EXAMPLE])]
ENTITY_ID = Entity.__table__.c.id  # type: ignore[attr-defined]


@router.get("", response_model=ArticlePage)
async def list_articles(
    params: Annotated[ListParams, Depends(QueryModel(ARTICLES.query))], request: Request
) -> Response:
    """Articles, without their text (ask for one article to get it).

    `q` matches the article body. Sort keys: `published_on` (default descending), `title`, `id`.
    """
    return await served(request, lambda connection: page(connection, ARTICLES, params, request))


@router.get("/{article_id}", response_model=ArticleDetail)
async def read_article(
    article_id: ArticleId,
    params: Annotated[ItemParams, Depends(QueryModel(ARTICLES.item_query))],
    request: Request,
) -> Response:
    """One article with its full verbatim `text`: every evidence offset in the API points into it."""
    return await served(request, lambda connection: read(connection, ARTICLES, article_id, params, request))


class AnnotationParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: CommaList[FactType] | None = Field(
        None, description="Only spans of facts of these kinds (comma-separated).", examples=[["quote", "entity"]]
    )
    role: CommaList[AnnotationRole] | None = Field(
        None, description="Only spans with these roles (comma-separated).", examples=[["text", "mention"]]
    )
    entity: Slug | None = Field(None, description="Only the mentions of this entity id.", examples=["antony-blinken"])


@router.get(
    "/{article_id}/annotations",
    response_model=AnnotationPage,
    responses={
        200: {
            "description": "The annotations, as `application/json` (the API's page) or, for "
            "`Accept: application/ld+json`, a W3C Web Annotation `AnnotationCollection`.",
            "content": {annotate.LD_JSON: {"schema": {"$ref": "#/components/schemas/WebAnnotationCollection"}}},
        }
    },
)
async def list_annotations(
    article_id: ArticleId,
    params: Annotated[AnnotationParams, Depends(QueryModel(AnnotationParams))],
    request: Request,
) -> Response:
    """Every span of every fact of the article, in reading order: what a front end needs to highlight them all.

    One item per (fact, role, span): entity mentions (`type` `entity`, `role` `mention`, with the `entity`), a
    quote's text and attribution, a pledge's amount, purpose and initiatives, an event's date and support, the
    article's own title and date, each with its fact's `type`, `id`, `url` and a short `label`. Sorted by `start`,
    the longer span first: spans overlap and nest (a quote contains the mentions in it). Offsets both ways:
    `start`/`end` in code points, `start_utf16`/`end_utf16` for JavaScript's `text.slice`. The whole article is one
    page (`next_cursor` is null). With `Accept: application/ld+json`, a W3C Web Annotation `AnnotationCollection`
    (TextQuoteSelector and TextPositionSelector) for annotation tools.
    """
    web = annotate.wants_web_annotations(request.headers.get("accept"))
    bound = {name: values(value) if isinstance(value, list) else value for name, value in params if value is not None}

    def annotations(connection: Connection) -> Sequence[Any]:
        rows = run(connection, annotate.statement(connection, tuple(bound), web), {"id": article_id, **bound})
        if not rows:
            raise ProblemError(404, f"There is no article {article_id!r}.")
        if params.entity is not None and all(row[1] is None for row in rows):  # no mention of it here: or no such
            references.require(connection, "entity", ENTITY_ID, [params.entity])  # entity at all (a 400 if so)
        return rows

    rows = await served(request, annotations)
    found = [row for row in rows if row[1] is not None]
    headers = {"Vary": "Accept"}
    if web:
        items = [annotate.web_annotation(article_id, doc, prefix, suffix) for _, doc, prefix, suffix in found]
        return Response(
            annotate.collection(article_id, rows[0][0], items), media_type=annotate.LD_JSON, headers=headers
        )
    body = {"data": [json_value(doc) for _, doc in found], "next_cursor": None, "next_url": None}
    return json_response(body, headers)
