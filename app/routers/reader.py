"""The reader pages: HTML for people (and crawlers), beside the JSON API; not in the OpenAPI document, like /docs."""

from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from app import reader
from app.lanes import served
from app.listing import NoQuery, QueryModel, fetch, get
from app.params import ListParams
from app.problems import ProblemError
from app.resources import ARTICLES

APP = Path(__file__).resolve().parent.parent
STATIC = {  # read once: name -> (bytes, media type)
    name: ((APP / "static" / name).read_bytes(), media_type)
    for name, media_type in (("reader.js", "text/javascript"), ("reader.css", "text/css"))
}
templates = Jinja2Templates(directory=APP / "templates")
router = APIRouter(include_in_schema=False)


class ReaderListParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(None, description="The next page's cursor, from the page's own link.")


@router.get("/articles", response_class=HTMLResponse)
async def list_articles_page(
    request: Request,
    params: Annotated[ReaderListParams, Depends(QueryModel(ReaderListParams))],
) -> Response:
    """The articles, newest first, each a link to its reader page."""
    result = await served(
        request, lambda connection: fetch(connection, ARTICLES, ListParams(limit=50, cursor=params.cursor), request)
    )
    articles = [orjson.loads(row.doc) for row in result.rows]
    context = {"articles": articles, "next_url": result.next_url}
    return templates.TemplateResponse(request, "articles.html", context)


@router.get("/articles/{article_id}", response_class=HTMLResponse)
async def read_article_page(
    request: Request,
    article_id: Annotated[str, PathParam(description="Id of the article.")],
    _params: NoQuery,
) -> Response:
    """One article with its facts highlighted by kind, a legend with toggles, and a card for each fact."""

    def facts(connection: Connection) -> dict[str, Any]:
        row = get(connection, ARTICLES, article_id)
        return reader.page(connection, {**orjson.loads(row.doc), "text": row.text})

    return templates.TemplateResponse(request, "article.html", await served(request, facts))


@router.get("/reader-static/{name}")
async def reader_static(name: str, _params: NoQuery) -> Response:
    """The reader's own script and style sheet (self-hosted: the pages load nothing from elsewhere)."""
    if name not in STATIC:
        raise ProblemError(404, f"There is no file {name!r} here.")
    content, media_type = STATIC[name]
    return Response(content, media_type=media_type)
