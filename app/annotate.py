"""Every span of every fact of an article, for ``GET /v1/articles/{id}/annotations``: rendered at load time, read
in one statement.

At load time (``store_annotations``, called by ``loader.store_documents``) each span (an evidence span of an
article, quote, pledge or event, and each entity mention) becomes one ``annotation`` row with the API's JSON
(``AnnotationPublic``). The W3C Web Annotation of a row (``WebAnnotation``, for annotation tools) is built from it
on request, with the article's text around the span read by the same statement: storing it too would take more
room than the facts themselves (prefix, suffix and URLs repeated on every span). Rows are
numbered in reading order (start, then the longer span first, so an enclosing span precedes what it contains),
so a request reads an article's annotations by its id index in that order, filters in the join, and never sorts.
"""

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Annotated, Any, Final, Literal

import mimeparse  # type: ignore[import-untyped]  # one untyped module
import orjson
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Connection, and_, bindparam, case, func, insert, outerjoin, select

from app.evidence import Utf16
from app.models import Annotation, Article, Entity, Event, Evidence, Mention, Pledge, Quote
from app.schemas import AnnotationPublic, open_to_additions
from app.sql import CompiledSQL, compile_sql, in_values

ANNOTATION = Annotation.__table__.c  # type: ignore[attr-defined]
ARTICLE = Article.__table__.c  # type: ignore[attr-defined]
EVIDENCE = Evidence.__table__.c  # type: ignore[attr-defined]
MENTION = Mention.__table__.c  # type: ignore[attr-defined]
ENTITY = Entity.__table__.c  # type: ignore[attr-defined]
QUOTE = Quote.__table__.c  # type: ignore[attr-defined]
EVENT = Event.__table__.c  # type: ignore[attr-defined]
PLEDGE = Pledge.__table__.c  # type: ignore[attr-defined]

WEB_CONTEXT: Final = "http://www.w3.org/ns/anno.jsonld"
LD_JSON = "application/ld+json"
QUOTE_CONTEXT = 32  # characters of prefix and suffix in a TextQuoteSelector: enough to re-anchor a short span
LABEL_LENGTH = 80
ARTICLES_BATCH = 50
ORDER = {"article": 0, "entity": 1, "event": 2, "quote": 3, "pledge": 4}  # ties at one span: a stable order


class _Web(BaseModel):
    # Every field is always sent (`type` has a default only to save writing it): said so in the schema, which lets
    # the selectors' `type` discriminate them.
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra=open_to_additions,
        json_schema_serialization_defaults_required=True,
    )


class TextQuoteSelector(_Web):
    type: Literal["TextQuoteSelector"] = Field("TextQuoteSelector", description="The Web Annotation type.")
    exact: str = Field(description="The annotated text, verbatim.")
    prefix: str = Field(description=f"Up to {QUOTE_CONTEXT} characters of the article before it.")
    suffix: str = Field(description=f"Up to {QUOTE_CONTEXT} characters of the article after it.")


class TextPositionSelector(_Web):
    type: Literal["TextPositionSelector"] = Field("TextPositionSelector", description="The Web Annotation type.")
    start: int = Field(description="Start, in code points into the article's `text` (inclusive).")
    end: int = Field(description="End, in code points (exclusive).")


class WebTarget(_Web):
    source: str = Field(description="The article's URL in the API (its `text` is what the selectors select).")
    selector: list[Annotated[TextQuoteSelector | TextPositionSelector, Field(discriminator="type")]] = Field(
        description="The span two ways: a `TextQuoteSelector`, then a `TextPositionSelector`."
    )


class WebBody(_Web):
    type: Literal["SpecificResource"] = Field("SpecificResource", description="The Web Annotation type.")
    source: str = Field(description="The fact's URL in the API.")


class WebAnnotation(_Web):
    """A W3C Web Annotation (https://www.w3.org/TR/annotation-model/) of one span of one fact."""

    id: str = Field(description="The fact's URL with the role and span as fragment.")
    type: Literal["Annotation"] = Field("Annotation", description="The Web Annotation type.")
    motivation: Literal["identifying", "describing"] = Field(
        description="`identifying` for an entity mention, `describing` for a fact's evidence."
    )
    body: WebBody = Field(description="The fact.")
    target: WebTarget = Field(description="The span of the article.")


class WebAnnotationPage(_Web):
    type: Literal["AnnotationPage"] = Field("AnnotationPage", description="The Web Annotation type.")
    startIndex: int = Field(0, description="Always 0: the whole collection is one page.")
    items: list[WebAnnotation] = Field(description="The annotations, in reading order.")


class WebAnnotationCollection(_Web):
    """The annotations of an article as a W3C Web Annotation ``AnnotationCollection`` (JSON-LD)."""

    context: Literal["http://www.w3.org/ns/anno.jsonld"] = Field(
        WEB_CONTEXT, alias="@context", description="The Web Annotation JSON-LD context."
    )
    id: str = Field(description="The URL of this collection.")
    type: Literal["AnnotationCollection"] = Field("AnnotationCollection", description="The Web Annotation type.")
    label: str = Field(description="What the collection is.")
    total: int = Field(description="Number of annotations.")
    first: WebAnnotationPage = Field(description="The one page, embedded.")


# --- Load time -------------------------------------------------------------------------------------------------


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1].rstrip() + "…"


def _labels(connection: Connection, article_ids: Sequence[str]) -> dict[tuple[str, str], str]:
    """(fact type, id) -> a short label, for every fact of these articles that has evidence."""
    labels: dict[tuple[str, str], str] = {}
    queries: list[tuple[str, Any]] = [
        ("article", select(ARTICLE.id, ARTICLE.title).where(in_values(ARTICLE.id, "ids"))),
        ("quote", select(QUOTE.id, QUOTE.text).where(in_values(QUOTE.article_id, "ids"))),
        ("event", select(EVENT.id, EVENT.title).where(in_values(EVENT.article_id, "ids"))),
        (
            "pledge",
            select(PLEDGE.id, PLEDGE.amount_text, PLEDGE.purpose, PLEDGE.donor_id).where(
                in_values(PLEDGE.article_id, "ids")
            ),
        ),
    ]
    ids = orjson.dumps(list(article_ids)).decode()
    for kind, query in queries:
        for id_, *words in connection.execute(query, {"ids": ids}):
            labels[(kind, id_)] = _short(" — ".join(w for w in words[:2] if w) or f"pledge by {words[2]}")
    return labels


def store_annotations(connection: Connection, article_ids: Sequence[str] | None = None, first: int = 1) -> None:
    """Fill the ``annotation`` table from the evidence and the mentions, article by article, in reading order,
    numbered from ``first``: every article's, or (an incremental load) those of ``article_ids``."""
    if article_ids is None:
        article_ids = list(connection.execute(select(ARTICLE.id).order_by(ARTICLE.id)).scalars())
    number = first - 1
    for at in range(0, len(article_ids), ARTICLES_BATCH):
        batch = article_ids[at : at + ARTICLES_BATCH]
        rows = _annotation_rows(connection, batch)
        for row in rows:
            number += 1
            row["id"] = number
        if rows:
            connection.execute(insert(Annotation.__table__), rows)  # type: ignore[attr-defined]


def _annotation_rows(connection: Connection, article_ids: Sequence[str]) -> list[dict[str, Any]]:
    ids = orjson.dumps(list(article_ids)).decode()
    texts: dict[str, str] = {
        id_: text
        for id_, text in connection.execute(
            select(ARTICLE.id, ARTICLE.text).where(in_values(ARTICLE.id, "ids")), {"ids": ids}
        )
    }
    labels = _labels(connection, article_ids)
    spans: list[tuple[str, str, str, str | None, int, int, str]] = [
        (row.article_id, row.subject_type, row.subject_id, None, row.start, row.end, row.role)
        for row in connection.execute(
            select(EVIDENCE.article_id, EVIDENCE.subject_type, EVIDENCE.subject_id, EVIDENCE.role)
            .add_columns(EVIDENCE.start, EVIDENCE.end)
            .where(in_values(EVIDENCE.article_id, "ids")),
            {"ids": ids},
        )
    ]
    entities: dict[str, dict[str, str]] = {}
    for article_id, entity_id, start, end, name, type_ in connection.execute(
        select(MENTION.article_id, MENTION.entity_id, MENTION.start, MENTION.end, ENTITY.name, ENTITY.type)
        .join(Entity.__table__, ENTITY.id == MENTION.entity_id)  # type: ignore[attr-defined]
        .where(in_values(MENTION.article_id, "ids")),
        {"ids": ids},
    ):
        entities[entity_id] = {"id": entity_id, "name": name, "type": type_}
        labels[("entity", entity_id)] = name
        spans.append((article_id, "entity", entity_id, entity_id, start, end, "mention"))
    spans.sort(key=lambda s: (s[0], s[4], -s[5], ORDER[s[1]], s[2], s[6]))
    offsets = {article_id: Utf16(text) for article_id, text in texts.items()}
    rows = []
    for article_id, kind, fact_id, entity_id, start, end, role in spans:
        text, utf16, url = texts[article_id], offsets[article_id], f"/v1/{_PLURAL[kind]}/{fact_id}"
        span = {"start": start, "end": end, "start_utf16": utf16(start), "end_utf16": utf16(end)}
        doc = AnnotationPublic.model_validate(
            {
                "type": kind,
                "id": fact_id,
                "url": url,
                "label": labels[(kind, fact_id)],
                "role": role,
                "entity": entities[entity_id] if entity_id else None,
                **span,
                "text": text[start:end],
            }
        )
        rows.append(
            {
                "article_id": article_id,
                "start": start,
                "end": end,
                "fact_type": kind,
                "role": role,
                "entity_id": entity_id,
                "doc": doc.model_dump_json(),
            }
        )
    return rows


_PLURAL = {"article": "articles", "entity": "entities", "quote": "quotes", "pledge": "pledges", "event": "events"}


# --- Request time ----------------------------------------------------------------------------------------------

_statements: dict[tuple[str, tuple[str, ...], bool], CompiledSQL] = {}
FILTERS: dict[str, Callable[[], ColumnElement[bool]]] = {
    "type": lambda: in_values(ANNOTATION.fact_type, "type"),
    "role": lambda: in_values(ANNOTATION.role, "role"),
    "entity": lambda: ANNOTATION.entity_id == bindparam("entity"),
}


def statement(connection: Connection, filters: tuple[str, ...], web: bool) -> CompiledSQL:
    """The article (title) and its annotations that pass ``filters``, in reading order: one statement, whose
    single row with no annotation says "no matches" and no row at all says "no such article". For Web
    Annotations, each row also has the text around its span (``substr`` counts code points on both backends)."""
    key = (connection.dialect.name, filters, web)
    compiled = _statements.get(key)
    if compiled is None:
        join = and_(ANNOTATION.article_id == ARTICLE.id, *(FILTERS[name]() for name in filters))
        before = case((ANNOTATION.start > QUOTE_CONTEXT, ANNOTATION.start - QUOTE_CONTEXT), else_=0)
        context = [
            func.substr(ARTICLE.text, before + 1, ANNOTATION.start - before),
            func.substr(ARTICLE.text, ANNOTATION.end + 1, QUOTE_CONTEXT),
        ]
        query = (
            select(ARTICLE.title, ANNOTATION.doc, *(context if web else []))
            .select_from(outerjoin(Article.__table__, Annotation.__table__, join))  # type: ignore[attr-defined]
            .where(ARTICLE.id == bindparam("id"))
            .order_by(ANNOTATION.id)
        )
        compiled = _statements[key] = compile_sql(query, connection.dialect)
    return compiled


@lru_cache(maxsize=256)  # few distinct Accept headers in practice; the cache is bounded all the same
def wants_web_annotations(accept: str | None) -> bool:
    """Whether ``Accept`` prefers ``application/ld+json`` (a Web Annotation collection) to ``application/json``,
    read with its q-values as ``app/formats.py`` reads it (a tie goes to JSON-LD, asked for by name)."""
    if not accept or LD_JSON not in accept:
        return False
    try:
        return bool(mimeparse.best_match(["application/json", LD_JSON], accept) == LD_JSON)
    except ValueError:  # mimeparse.MimeTypeParseException: a header that cannot be parsed is ignored
        return False


def web_annotation(article_id: str, doc: str | bytes, prefix: str, suffix: str) -> dict[str, Any]:
    """A stored annotation as a W3C Web Annotation (``WebAnnotation``): its fact is the body, its span the target."""
    item = orjson.loads(doc)
    start, end, url = item["start"], item["end"], item["url"]
    return {
        "id": f"{url}#{item['role']}-{start}-{end}",
        "type": "Annotation",
        "motivation": "identifying" if item["role"] == "mention" else "describing",
        "body": {"type": "SpecificResource", "source": url},
        "target": {
            "source": f"/v1/articles/{article_id}",
            "selector": [
                {"type": "TextQuoteSelector", "exact": item["text"], "prefix": prefix, "suffix": suffix},
                {"type": "TextPositionSelector", "start": start, "end": end},
            ],
        },
    }


def collection(article_id: str, title: str, items: list[dict[str, Any]]) -> bytes:
    """The Web Annotation collection (``WebAnnotationCollection``) of the article's annotations."""
    return orjson.dumps(
        {
            "@context": WEB_CONTEXT,
            "id": f"/v1/articles/{article_id}/annotations",
            "type": "AnnotationCollection",
            "label": f"Facts of “{title}”",
            "total": len(items),
            "first": {"type": "AnnotationPage", "startIndex": 0, "items": items},
        }
    )
