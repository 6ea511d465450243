import html
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, literal_column, select
from sqlmodel import col

from app.db import ConnectionDep
from app.listing import MAX_QUERY_LENGTH, SEARCH_INDEX, CommaList, QueryModel, fts_query
from app.problems import PROBLEM_RESPONSES
from app.responses import json_response
from app.schemas import Page, SearchHit

router = APIRouter(prefix="/v1/search", tags=["search"], responses=PROBLEM_RESPONSES)

Kind = Literal["article", "entity", "quote", "pledge", "event"]
PATHS = {
    "article": "articles",
    "entity": "entities",
    "quote": "quotes",
    "pledge": "pledges",
    "event": "events",
}
# Control characters never occur in the indexed text, so they can mark matches before the text is escaped.
OPEN, CLOSE = "\x02", "\x03"
# A match in a name or title counts this many times one in the body text.
LABEL_WEIGHT = 5.0


class SearchParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(
        max_length=MAX_QUERY_LENGTH,
        description="Plain text, case-, accent- and typography-insensitive; the last word matches as a prefix, "
        "so it can drive a type-ahead. Never a syntax error; empty or punctuation only gives no results.",
        examples=["blink"],
    )
    type: CommaList[Kind] | None = Field(
        None, description="Only results of these kinds (comma-separated).", examples=[["entity", "quote"]]
    )
    limit: int = Field(20, ge=1, le=50, description="Number of results, 1 to 50.")


@router.get("", response_model=Page[SearchHit])
async def search(
    params: Annotated[SearchParams, Depends(QueryModel(SearchParams))], connection: ConnectionDep
) -> Response:
    """Search everything: entity names and aliases, quotes, pledge purposes, event titles and article text.

    Results are ranked by relevance (BM25), best first; the first page is the whole answer (`limit` at most 50).
    """
    q, type, limit = params.q, params.type, params.limit
    query = fts_query(q)
    hits = []
    if query is not None:
        statement = (
            select(
                SEARCH_INDEX.c.kind,
                SEARCH_INDEX.c.id,
                SEARCH_INDEX.c.label,
                func.snippet(literal_column("search_index"), 3, OPEN, CLOSE, "…", 16).label("snippet"),
            )
            .where(literal_column("search_index").op("MATCH")(query))
            .order_by(func.bm25(literal_column("search_index"), 0.0, 0.0, LABEL_WEIGHT, 1.0), SEARCH_INDEX.c.id)
            .limit(limit)
        )
        if type:
            statement = statement.where(col(SEARCH_INDEX.c.kind).in_(type))
        for row in connection.execute(statement):
            snippet = html.escape(row.snippet).replace(OPEN, "<mark>").replace(CLOSE, "</mark>")
            hits.append(
                {
                    "type": row.kind,
                    "id": row.id,
                    "label": row.label,
                    "snippet": snippet,
                    "url": f"/v1/{PATHS[row.kind]}/{row.id}",
                }
            )
    return json_response({"data": hits, "next_cursor": None, "next_url": None})
