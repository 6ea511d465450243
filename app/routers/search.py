import html
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from app import fts
from app.lanes import served
from app.listing import QueryModel
from app.models import FactType
from app.params import MAX_QUERY_LENGTH, CommaList
from app.problems import PROBLEM_RESPONSES
from app.resources import BY_KIND
from app.responses import JSON
from app.schemas import SearchPage
from app.totals import cached

# Search pages kept rendered, per dataset version, most recently asked first: a type-ahead asks the same few
# prefixes over and over. 256 pages of at most 50 hits are a few MiB.
PAGES_KEPT = 256

router = APIRouter(prefix="/v1/search", tags=["search"], responses=PROBLEM_RESPONSES)


class SearchParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(
        max_length=MAX_QUERY_LENGTH,
        description="Plain text, case-, accent- and typography-insensitive; the last word matches as a prefix, "
        "so it can drive a type-ahead. Never a syntax error; empty or punctuation only gives no results.",
        examples=["blink"],
    )
    type: CommaList[FactType] | None = Field(
        None, description="Only results of these kinds (comma-separated).", examples=[["entity", "quote"]]
    )
    limit: int = Field(20, ge=1, le=50, description="Number of results, 1 to 50.")


@router.get("", response_model=SearchPage)
async def search(params: Annotated[SearchParams, Depends(QueryModel(SearchParams))], request: Request) -> Response:
    """Search everything: entity names and aliases, quotes, pledge purposes, event titles and article text.

    Results are ranked by relevance (BM25; `ts_rank` on PostgreSQL), best first; the first page is the whole
    answer (`limit` at most 50).
    """
    key = ("search", {"q": params.q, "type": sorted(params.type or []), "limit": params.limit})
    store = request.app.state.search_pages

    def rendered(connection: Connection) -> bytes:
        return cached(request, connection, key, lambda: _page(connection, params), store)

    body = await served(request, rendered)
    return Response(body, media_type=JSON)


def _page(connection: Connection, params: SearchParams) -> bytes:
    """The search page, serialized."""
    hits = []
    for kind, id_, label, text in fts.search(connection, params.q, params.type, params.limit):
        snippet = html.escape(text).replace(fts.OPEN, "<mark>").replace(fts.CLOSE, "</mark>")
        hits.append({"type": kind, "id": id_, "label": label, "snippet": snippet, "url": BY_KIND[kind].url(id_)})
    return orjson.dumps({"data": hits, "next_cursor": None, "next_url": None})
