"""The reader pages (``/articles``, ``/articles/{id}``): an article with its facts highlighted in it, rendered on the
server so that the highlights, the legend's toggles (CSS only) and the deep links (``#quote-{id}``) work with
JavaScript off; ``app/static/reader.js`` only adds focus and the card of the focused fact.

Spans overlap and nest (a quote contains mentions), so the text is cut at every span boundary into segments, each
a link to the innermost fact covering it, carrying every fact and annotation that covers it (``data-f``,
``data-a``): a span is the run of segments that carry its annotation.
"""

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam
from sqlmodel import col, select

from app import annotate
from app.models import Entity, Event, Mention, Pledge, Quote
from app.sql import Prepared, run

KINDS = {"entity": "Entities", "quote": "Quotes", "pledge": "Pledges", "event": "Events"}  # what is highlighted
SCHEMA_TYPES = {"person": "Person", "country": "Country", "organization": "Organization", "place": "Place"}


def _docs_of_article(table: Any) -> Prepared:
    return Prepared(
        lambda: select(col(table.doc)).where(col(table.article_id) == bindparam("id")).order_by(col(table.id))
    )


FACT_DOCS = {"quote": _docs_of_article(Quote), "pledge": _docs_of_article(Pledge), "event": _docs_of_article(Event)}
ENTITY_DOCS = Prepared(
    lambda: (
        select(col(Entity.doc))
        .where(col(Entity.id).in_(select(col(Mention.entity_id)).where(col(Mention.article_id) == bindparam("id"))))
        .order_by(col(Entity.name))
    )
)


@dataclass
class Segment:
    text: str
    annotations: list[int] = field(default_factory=list)  # indexes into the article's annotations
    facts: list[str] = field(default_factory=list)  # anchors of the facts covering it, innermost first
    kinds: list[str] = field(default_factory=list)


def anchor(kind: str, fact_id: str) -> str:
    return f"{kind}-{fact_id}"


def segments(text: str, annotations: Sequence[dict[str, Any]]) -> list[Segment]:
    """``text`` cut at every boundary of the highlighted annotations, each piece with what covers it (one sweep
    over the boundaries, keeping the spans open at each)."""
    starts: dict[int, list[int]] = defaultdict(list)
    ends: dict[int, list[int]] = defaultdict(list)
    for i, a in enumerate(annotations):
        if a["type"] in KINDS and a["end"] > a["start"]:
            starts[a["start"]].append(i)
            ends[a["end"]].append(i)
    open_spans: set[int] = set()
    pieces = []
    for lo, hi in pairwise(sorted({0, len(text), *starts, *ends})):
        open_spans.difference_update(ends.get(lo, ()))
        open_spans.update(starts.get(lo, ()))
        covering = sorted(open_spans, key=lambda i: annotations[i]["end"] - annotations[i]["start"])
        facts = list(dict.fromkeys(anchor(annotations[i]["type"], annotations[i]["id"]) for i in covering))
        kinds = sorted({annotations[i]["type"] for i in covering})
        pieces.append(Segment(text[lo:hi], sorted(covering), facts, kinds))
    return pieces


def page(connection: Connection, article: dict[str, Any]) -> dict[str, Any]:
    """What the article template shows: the text in segments, the cards of its facts, the JSON-LD."""
    rows = run(connection, annotate.statement(connection, (), web=False), {"id": article["id"]})
    annotations = [orjson.loads(doc) for _, doc in rows if doc is not None]
    cards: dict[str, list[dict[str, Any]]] = {
        kind: [orjson.loads(doc) for (doc,) in statement(connection, id=article["id"])]
        for kind, statement in FACT_DOCS.items()
    }
    cards["entity"] = [orjson.loads(doc) for (doc,) in ENTITY_DOCS(connection, id=article["id"])]
    roles: dict[str, list[str]] = {}
    for a in annotations:
        roles.setdefault(anchor(a["type"], a["id"]), []).append(a["role"])
    return {
        "article": article,
        "segments": segments(article["text"], annotations),
        "cards": cards,
        "roles": {key: sorted(set(value)) for key, value in roles.items()},
        "kinds": KINDS,
        "json_ld": json_ld(article, cards["entity"]),
    }


def json_ld(article: dict[str, Any], entities: list[dict[str, Any]]) -> str:
    """schema.org ``NewsArticle`` with the entities it mentions, for crawlers; safe inside a script element."""
    published = article["published_on"]
    document = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article["title"],
        "inLanguage": article["language"],
        "datePublished": published["value"] if published["precision"] == "day" else published["earliest"],
        "publisher": {"@type": "Organization", "name": article["publisher"]["name"]},
        "mentions": [{"@type": SCHEMA_TYPES.get(e["type"], "Thing"), "name": e["name"]} for e in entities],
    }
    if article["source_url"]:
        document["url"] = article["source_url"]
    return json.dumps(document, ensure_ascii=False).replace("<", "\\u003c")
