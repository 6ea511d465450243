"""Rows -> the public JSON of each fact, through the models of ``app/schemas.py``: the one place a shape is built.

The loader renders every article, entity, quote, pledge and event here once, at load time, into the row's ``doc``
column (``loader.store_documents``); a list page is then one indexed query whose documents go out as they are.
The routes use the same functions for what a detail adds at request time (an entity's affiliations and first
mentions, an article's text). Each fact is validated by its public model and dumped by it, so the fields, their
order and their types are the model's, never a second hand-written copy.

Related data is read in batches, one query per kind of data whatever the number of facts (no N+1).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import Connection, Row, bindparam
from sqlalchemy import select as core_select
from sqlmodel import col, select

from app.evidence import Utf16
from app.models import (
    Article,
    Entity,
    EntityAffiliation,
    EntityAlias,
    Event,
    EventParticipant,
    Evidence,
    Mention,
    PledgeInitiative,
    PledgeRecipient,
    QuoteMention,
)
from app.schemas import (
    ArticlePublic,
    EntityPublic,
    EventPublic,
    MentionPublic,
    PledgePublic,
    QuotePublic,
)
from app.sql import Prepared, in_values, json_value, values

Rows = Sequence[Row[Any]]
Url = Callable[[str], str]  # an item's id -> its URL in the API
Renderer = Callable[[Connection, Rows, Url], list[BaseModel]]

# A detail embeds this many mentions at most: a head of state is mentioned in every other article, and a detail
# must stay small and fast. `counts.mentions` has the total.
MAX_MENTIONS = 100

EVIDENCE = Evidence.__table__.c  # type: ignore[attr-defined]

ENTITIES = Prepared(lambda: select(Entity.id, Entity.name, Entity.type).where(in_values(Entity.id, "ids")))
EVENTS = Prepared(lambda: select(Event.id, Event.title, Event.type).where(in_values(Event.id, "ids")))
EVIDENCE_OF = Prepared(
    lambda: (
        core_select(
            EVIDENCE.subject_id, EVIDENCE.article_id, EVIDENCE.role, EVIDENCE.start, EVIDENCE.end, EVIDENCE.text
        )
        .where(EVIDENCE.subject_type == bindparam("subject_type"), in_values(EVIDENCE.subject_id, "ids"))
        .order_by(col(Evidence.id))
    )
)
ALIASES = Prepared(
    lambda: (
        select(EntityAlias.entity_id, EntityAlias.alias)
        .where(in_values(EntityAlias.entity_id, "ids"))
        .order_by(col(EntityAlias.id))
    )
)
AFFILIATIONS = Prepared(
    lambda: (
        select(EntityAffiliation.role, EntityAffiliation.organization_id)
        .where(EntityAffiliation.entity_id == bindparam("id"))
        .order_by(col(EntityAffiliation.id))
    )
)
ARTICLE_TEXTS = Prepared(lambda: select(Article.id, Article.text).where(in_values(Article.id, "ids")))
MENTIONS_OF_ENTITY = Prepared(
    lambda: (
        select(Mention.doc)
        .where(Mention.entity_id == bindparam("id"))
        .order_by(col(Mention.article_id), col(Mention.start), col(Mention.id))
        .limit(bindparam("limit"))
    )
)
QUOTE_MENTIONS = Prepared(
    lambda: select(QuoteMention.quote_id, QuoteMention.entity_id).where(in_values(QuoteMention.quote_id, "ids"))
)
RECIPIENTS = Prepared(
    lambda: (
        select(PledgeRecipient.pledge_id, PledgeRecipient.entity_id)
        .where(in_values(PledgeRecipient.pledge_id, "ids"))
        .order_by(col(PledgeRecipient.position))
    )
)
INITIATIVES = Prepared(
    lambda: (
        select(PledgeInitiative.pledge_id, PledgeInitiative.name)
        .where(in_values(PledgeInitiative.pledge_id, "ids"))
        .order_by(col(PledgeInitiative.id))
    )
)
PARTICIPANTS = Prepared(
    lambda: (
        select(EventParticipant.event_id, EventParticipant.entity_id, EventParticipant.role)
        .where(in_values(EventParticipant.event_id, "ids"))
        .order_by(col(EventParticipant.position))
    )
)


# --- Batch look-ups of what a fact embeds ----------------------------------------------------------------------


def entity_summaries(connection: Connection, ids: Iterable[str | None]) -> dict[str, dict[str, str]]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = ENTITIES(connection, ids=values(wanted))
    return {id_: {"id": id_, "name": name, "type": type_} for id_, name, type_ in rows}


def event_summaries(connection: Connection, ids: Iterable[str | None]) -> dict[str, dict[str, str]]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = EVENTS(connection, ids=values(wanted))
    return {id_: {"id": id_, "title": title, "type": type_} for id_, title, type_ in rows}


def utf16_offsets(connection: Connection, article_ids: Iterable[str]) -> dict[str, Utf16]:
    """article id -> its code-point to UTF-16 offset map, for the spans of those articles."""
    return {id_: Utf16(text) for id_, text in ARTICLE_TEXTS(connection, ids=values(set(article_ids)))}


def span(article: str, start: int, end: int, text: str, utf16: Utf16) -> dict[str, Any]:
    """A span's offsets both ways: code points (Python) and UTF-16 code units (JavaScript)."""
    return {
        "article": article,
        "start": start,
        "end": end,
        "start_utf16": utf16(start),
        "end_utf16": utf16(end),
        "text": text,
    }


def evidence(connection: Connection, subject_type: str, ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rows = EVIDENCE_OF(connection, subject_type=subject_type, ids=values(set(ids)))
    offsets = utf16_offsets(connection, (row.article_id for row in rows))
    for subject_id, article_id, role, start, end, text in rows:
        found[subject_id].append({"role": role, **span(article_id, start, end, text, offsets[article_id])})
    return found


def _grouped(rows: Iterable[Sequence[Any]]) -> dict[str, list[Any]]:
    """``(key, value)`` or ``(key, *values)`` rows -> key -> its values (tuples when there are several), in order."""
    groups: dict[str, list[Any]] = defaultdict(list)
    for key, *rest in rows:
        groups[key].append(rest[0] if len(rest) == 1 else tuple(rest))
    return groups


# --- One renderer per kind of fact: rows of its table -> its public models ----------------------------------------


def articles(connection: Connection, rows: Rows, url: Url) -> list[BaseModel]:
    publishers = entity_summaries(connection, [a.publisher_id for a in rows])
    spans = evidence(connection, "article", [a.id for a in rows])
    return [
        ArticlePublic.model_validate(
            {
                "id": a.id,
                "title": a.title,
                "publisher": publishers[a.publisher_id],
                "published_on": json_value(a.published_on),
                "language": a.language,
                "source_url": a.url,
                "body": {"start": a.body_start, "end": a.body_end},
                "evidence": spans[a.id],
                "url": url(a.id),
            }
        )
        for a in rows
    ]


def entities(connection: Connection, rows: Rows, url: Url) -> list[BaseModel]:
    aliases = _grouped(ALIASES(connection, ids=values([e.id for e in rows])))
    return [
        EntityPublic.model_validate(
            {
                "id": e.id,
                "type": e.type,
                "name": e.name,
                "description": e.description,
                "country_code": e.country_code,
                "aliases": aliases[e.id],
                "counts": {
                    "mentions": e.mention_count,
                    "quotes": e.quote_count,
                    "pledges": e.pledge_count,
                    "events": e.event_count,
                },
                "url": url(e.id),
            }
        )
        for e in rows
    ]


def mentions(connection: Connection, rows: Rows, url: Url) -> list[BaseModel]:
    summaries = entity_summaries(connection, [m.entity_id for m in rows])
    offsets = utf16_offsets(connection, [m.article_id for m in rows])
    return [
        MentionPublic.model_validate(
            {
                "id": m.id,
                **span(m.article_id, m.start, m.end, m.text, offsets[m.article_id]),
                "entity": summaries[m.entity_id],
                "url": url(m.id),
            }
        )
        for m in rows
    ]


def quotes(connection: Connection, rows: Rows, url: Url) -> list[BaseModel]:
    ids = [q.id for q in rows]
    links = QUOTE_MENTIONS(connection, ids=values(ids))
    mentioned = _grouped(links)
    summaries = entity_summaries(connection, [q.speaker_id for q in rows] + [e for _, e in links])
    events = event_summaries(connection, [q.event_id for q in rows])
    spans = evidence(connection, "quote", ids)
    return [
        QuotePublic.model_validate(
            {
                "id": q.id,
                "article": q.article_id,
                "speaker": summaries[q.speaker_id],
                "kind": q.kind,
                "text": q.text,
                "said_on": json_value(q.said_on),
                "event": events.get(q.event_id) if q.event_id else None,
                "mentions": sorted((summaries[e] for e in mentioned[q.id]), key=lambda e: e["name"]),
                "evidence": spans[q.id],
                "url": url(q.id),
            }
        )
        for q in rows
    ]


def pledges(connection: Connection, rows: Rows, url: Url) -> list[BaseModel]:
    ids = [p.id for p in rows]
    recipients = _grouped(RECIPIENTS(connection, ids=values(ids)))
    initiatives = _grouped(INITIATIVES(connection, ids=values(ids)))
    summaries = entity_summaries(
        connection,
        [p.donor_id for p in rows]
        + [p.announced_by_id for p in rows]
        + [e for entity_ids in recipients.values() for e in entity_ids],
    )
    spans = evidence(connection, "pledge", ids)
    return [
        PledgePublic.model_validate(
            {
                "id": p.id,
                "article": p.article_id,
                "donor": summaries[p.donor_id],
                "announced_by": summaries[p.announced_by_id] if p.announced_by_id else None,
                "recipients": [summaries[e] for e in recipients[p.id]],
                "amount": money(p),
                "purpose": p.purpose,
                "initiatives": initiatives[p.id],
                "status": p.status,
                "announced_on": json_value(p.announced_on),
                "evidence": spans[p.id],
                "url": url(p.id),
            }
        )
        for p in rows
    ]


def money(pledge: Row[Any]) -> dict[str, Any] | None:
    """A pledge's amount: major units (an integer when whole), exact minor units, currency, the words."""
    if pledge.amount_minor is None or pledge.amount is None:
        return None
    amount = int(pledge.amount) if pledge.amount.is_integer() else pledge.amount
    return {
        "amount": amount,
        "amount_minor": pledge.amount_minor,
        "currency": pledge.currency,
        "text": pledge.amount_text,
        "usd": json_value(pledge.usd_equivalent),
    }


def events(connection: Connection, rows: Rows, url: Url) -> list[BaseModel]:
    ids = [e.id for e in rows]
    participants = _grouped(PARTICIPANTS(connection, ids=values(ids)))
    summaries = entity_summaries(
        connection,
        [e.location_id for e in rows] + [entity_id for links in participants.values() for entity_id, _ in links],
    )
    spans = evidence(connection, "event", ids)
    return [
        EventPublic.model_validate(
            {
                "id": e.id,
                "article": e.article_id,
                "type": e.type,
                "title": e.title,
                "description": e.description,
                "date": json_value(e.date),
                "status": e.status,
                "location": summaries[e.location_id] if e.location_id else None,
                "participants": [{"entity": summaries[entity], "role": role} for entity, role in participants[e.id]],
                "evidence": spans[e.id],
                "url": url(e.id),
            }
        )
        for e in rows
    ]


# --- What a detail adds at request time ------------------------------------------------------------------------


def entity_detail(connection: Connection, row: Row[Any]) -> bytes:
    """An entity's stored document with its affiliations, first ``MAX_MENTIONS`` mentions and links to its facts.

    ``EntityDetail`` is the stored ``EntityPublic`` plus these three fields, last and in this order, so they are
    appended to the stored text as they are, the stored mentions embedded unparsed: the bytes the model would
    serialize (``tests/test_http.py`` holds them to it), at a third of the cost of parsing and validating 100
    mentions on every request."""
    affiliations = AFFILIATIONS(connection, id=row.id)
    organizations = entity_summaries(connection, [org for _, org in affiliations])
    mentions = MENTIONS_OF_ENTITY(connection, id=row.id, limit=MAX_MENTIONS)
    extra = orjson.dumps(
        {
            "affiliations": [
                {"role": role, "organization": organizations.get(org) if org else None} for role, org in affiliations
            ],
            "mentions": [json_value(doc) for (doc,) in mentions],
            "links": {
                "mentions": f"/v1/mentions?entity={row.id}",
                "quotes": f"/v1/quotes?speaker={row.id}",
                "quotes_mentioning": f"/v1/quotes?mentions={row.id}",
                "pledges_given": f"/v1/pledges?donor={row.id}",
                "pledges_received": f"/v1/pledges?recipient={row.id}",
                "pledges_announced": f"/v1/pledges?announced_by={row.id}",
                "events": f"/v1/events?participant={row.id}",
                "events_located": f"/v1/events?location={row.id}",
            },
        }
    )
    stored: str = row.doc
    return stored.encode()[:-1] + b"," + extra[1:]


def article_detail(_connection: Connection, row: Row[Any]) -> bytes:
    """An article's stored document with its full verbatim text, appended as ``entity_detail`` appends its fields
    (``ArticleDetail`` adds ``text`` last)."""
    stored: str = row.doc
    return stored.encode()[:-1] + b',"text":' + orjson.dumps(row.text) + b"}"
