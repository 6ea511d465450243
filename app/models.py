"""Database tables. Alembic (``migrations/``) owns the schema; a test fails when the two drift apart.

Dates are stored three ways: the full date object as JSON (what the API returns), and its inclusive
``_earliest``/``_latest`` bounds as indexed DATE columns (what filters and sorts use). An open bound (a "recent"
study has no earliest day) is stored as 0001-01-01 or 9999-12-31, so range filters treat it as unbounded.
"""

import datetime as dt
from typing import Any, Literal, get_args

from sqlalchemy import JSON, BigInteger, Index, MetaData, text
from sqlmodel import Field, SQLModel
from typing_extensions import TypeAliasType

# Constraint names that are stable across backends, so migrations can drop and alter them by name.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

DateObject = dict[str, Any]

# The longest id (a slug) and the longest name or title (the text sort keys) the loader accepts. A list's cursor
# carries the sort values of the page's last item, so these bound the cursor, and so the URL a client sends back
# (app/params.py: MAX_CURSOR_LENGTH; tests/test_openapi.py checks the longest valid URL against the URL limit).
MAX_ID_LENGTH = 100
MAX_LABEL_LENGTH = 200

# The vocabularies of the enum-like columns, shared by the seed validation and the API. Each is a named type
# alias: the OpenAPI document then declares it once as a component (`EventType`) that every field using it refers
# to, so a generated client gets one named enum per vocabulary, while values stay plain strings in Python.
EntityType = TypeAliasType("EntityType", Literal["person", "country", "organization", "place", "group"])
QuoteKind = TypeAliasType("QuoteKind", Literal["direct", "partial", "indirect"])
PledgeStatus = TypeAliasType("PledgeStatus", Literal["new", "previously_announced", "reaffirmed"])
EventStatus = TypeAliasType("EventStatus", Literal["occurred", "planned"])
EventType = TypeAliasType(
    "EventType",
    Literal[
        "meeting",
        "visit",
        "trip",
        "press_conference",
        "statement",
        "vote",
        "study",
        "sanctions_decision",
        "war",
        "anniversary",
        "announcement",
    ],
)
DatePrecision = TypeAliasType("DatePrecision", Literal["day", "week", "month", "year"])
# What part of a fact a span of evidence supports; an annotation adds `mention` (an entity's evidence).
_EvidenceRoles = Literal[
    "title",
    "publisher",
    "published_on",
    "text",
    "attribution",
    "said_on",
    "amount",
    "purpose",
    "announced_on",
    "initiative",
    "date",
    "support",
]
EvidenceRole = TypeAliasType("EvidenceRole", _EvidenceRoles)
AnnotationRole = TypeAliasType("AnnotationRole", Literal[_EvidenceRoles, "mention"])
FactType = TypeAliasType("FactType", Literal["article", "entity", "quote", "pledge", "event"])  # each resource's kind


def values_of(vocabulary: Any) -> tuple[str, ...]:
    """The strings of a vocabulary above, in order."""
    return tuple(get_args(vocabulary.__value__))


class Entity(SQLModel, table=True):
    id: str = Field(primary_key=True)
    type: str = Field(index=True)
    name: str = Field(index=True)
    description: str
    country_code: str | None = Field(default=None, index=True)
    # Counts are fixed at load time: the data is read-only, so the API never counts on a request.
    mention_count: int = Field(default=0, index=True)
    quote_count: int = Field(default=0, index=True)
    pledge_count: int = 0
    event_count: int = 0
    doc: str | None = None  # the API's JSON of this fact, rendered at load time (see documents.py)
    csv: str | None = None  # its CSV row (the list\'s columns, app/formats.py), rendered with `doc`


class EntityAlias(SQLModel, table=True):
    __tablename__ = "entity_alias"
    id: int | None = Field(default=None, primary_key=True)
    entity_id: str = Field(foreign_key="entity.id", index=True)
    alias: str


class EntityAffiliation(SQLModel, table=True):
    __tablename__ = "entity_affiliation"
    id: int | None = Field(default=None, primary_key=True)
    entity_id: str = Field(foreign_key="entity.id", index=True)
    role: str
    organization_id: str | None = Field(default=None, foreign_key="entity.id", index=True)


def open_started(table: str, name: str) -> Index:
    """An index of the facts with no known first day (stored from 0001-01-01) by their later end: a bound on the
    later end finds them apart from the others, which it seeks through the sort index (``params.LaterEnd``).
    Partial, so it holds only those facts; its condition is text, as the queries state it (SQLite uses a partial
    index only for a query whose WHERE states its condition, not a bound value). It starts with the earliest day
    all the same: equal to the sort index's first column on that condition, it is preferred for its second."""
    where = text(f"{name}_earliest = '0001-01-01'")
    columns = (f"{name}_earliest", f"{name}_latest", "id")
    return Index(f"ix_{table}_{name}_open_start", *columns, sqlite_where=where, postgresql_where=where)


class Article(SQLModel, table=True):
    __table_args__ = (
        Index("ix_article_published_on_id", "published_on_earliest", "id"),
        open_started("article", "published_on"),
        Index("ix_article_publisher_id_published_on", "publisher_id", "published_on_earliest", "id"),
    )
    id: str = Field(primary_key=True)
    title: str = Field(index=True)
    publisher_id: str = Field(foreign_key="entity.id")
    published_on: DateObject = Field(sa_type=JSON)
    published_on_earliest: dt.date
    published_on_latest: dt.date = Field(index=True)
    language: str = Field(index=True)
    url: str | None = None
    text: str
    body_start: int
    body_end: int
    sha256: str
    doc: str | None = None  # the API's JSON of this fact, rendered at load time (see documents.py)
    csv: str | None = None  # its CSV row (the list\'s columns, app/formats.py), rendered with `doc`


class Mention(SQLModel, table=True):
    """One occurrence of an entity in an article: the entity's evidence."""

    __table_args__ = (
        Index("ix_mention_entity_id_article", "entity_id", "article_id", "start"),
        Index("ix_mention_article_id_id", "article_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    article_id: str = Field(foreign_key="article.id", index=True)
    entity_id: str = Field(foreign_key="entity.id")
    start: int
    end: int
    text: str
    doc: str | None = None  # the API's JSON of this mention, rendered at load time (see render.py)
    csv: str | None = None  # its CSV row (the list\'s columns, app/formats.py), rendered with `doc`


class Quote(SQLModel, table=True):
    # A filter on a busy column followed by the default sort reads its first page straight off one of these
    # indexes, however many rows match (a speaker with 50,000 quotes costs what one with 5 does).
    __table_args__ = (
        # The later end too: walking the open-started quotes in order (params.LaterEnd) tests it without
        # reading the table.
        Index("ix_quote_said_on_earliest_id_latest", "said_on_earliest", "id", "said_on_latest"),
        Index("ix_quote_speaker_id_said_on", "speaker_id", "said_on_earliest", "id"),
        Index("ix_quote_kind_said_on", "kind", "said_on_earliest", "id"),
        open_started("quote", "said_on"),
    )
    id: str = Field(primary_key=True)
    article_id: str = Field(foreign_key="article.id", index=True)
    speaker_id: str = Field(foreign_key="entity.id")
    kind: str
    text: str
    event_id: str | None = Field(default=None, foreign_key="event.id", index=True)
    said_on: DateObject = Field(sa_type=JSON)
    said_on_earliest: dt.date  # indexed with id below, for the default sort
    said_on_latest: dt.date = Field(index=True)
    doc: str | None = None  # the API's JSON of this fact, rendered at load time (see documents.py)
    csv: str | None = None  # its CSV row (the list\'s columns, app/formats.py), rendered with `doc`


class QuoteMention(SQLModel, table=True):
    """An entity a quote refers to."""

    __tablename__ = "quote_mention"
    quote_id: str = Field(foreign_key="quote.id", primary_key=True)
    entity_id: str = Field(foreign_key="entity.id", primary_key=True, index=True)


class Pledge(SQLModel, table=True):
    __table_args__ = (
        Index("ix_pledge_announced_on_id", "announced_on_earliest", "id"),
        open_started("pledge", "announced_on"),
        Index("ix_pledge_donor_id_announced_on", "donor_id", "announced_on_earliest", "id"),
        Index("ix_pledge_status_announced_on", "status", "announced_on_earliest", "id"),
        Index("ix_pledge_usd_id", "usd", "id"),
        Index("ix_pledge_usd_sort_id", "usd_sort", "id"),
        Index("ix_pledge_usd_missing_sort_id", "usd_missing", "usd_sort", "id"),
    )
    id: str = Field(primary_key=True)
    article_id: str = Field(foreign_key="article.id", index=True)
    donor_id: str = Field(foreign_key="entity.id")
    announced_by_id: str | None = Field(default=None, foreign_key="entity.id", index=True)
    purpose: str | None = None
    status: str
    amount_minor: int | None = Field(default=None, sa_type=BigInteger)
    # Major units (amount_minor / 10**exponent of the currency), so `amount__gte` compares like with like.
    amount: float | None = Field(default=None, index=True)
    currency: str | None = Field(default=None, index=True)
    amount_text: str | None = None
    # The amount in US dollars (major units) at the time, so amounts in different currencies compare; the whole
    # equivalent (rate, its day, source, basis) as the API shows it. Null when the ECB publishes no rate for it.
    usd: float | None = None
    usd_equivalent: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    # `sort=usd` (resources.SortKey): the amount in US dollars, -1 without one, so that it is never NULL; and 1 for
    # a pledge without one, which ascending sorts by first so that those come last in both directions.
    usd_sort: float
    usd_missing: int
    announced_on: DateObject = Field(sa_type=JSON)
    announced_on_earliest: dt.date
    announced_on_latest: dt.date = Field(index=True)
    doc: str | None = None  # the API's JSON of this fact, rendered at load time (see documents.py)
    csv: str | None = None  # its CSV row (the list\'s columns, app/formats.py), rendered with `doc`


def usd_order(usd: float | None) -> dict[str, Any]:
    """A pledge's ``usd_sort`` and ``usd_missing`` for its ``usd`` (the loader's and the synthetic corpus's)."""
    return {"usd_sort": -1.0 if usd is None else usd, "usd_missing": int(usd is None)}


class PledgeRecipient(SQLModel, table=True):
    __tablename__ = "pledge_recipient"
    pledge_id: str = Field(foreign_key="pledge.id", primary_key=True)
    entity_id: str = Field(foreign_key="entity.id", primary_key=True, index=True)
    position: int


class PledgeInitiative(SQLModel, table=True):
    __tablename__ = "pledge_initiative"
    id: int | None = Field(default=None, primary_key=True)
    pledge_id: str = Field(foreign_key="pledge.id", index=True)
    name: str


class Event(SQLModel, table=True):
    __table_args__ = (
        Index("ix_event_date_id", "date_earliest", "id"),
        open_started("event", "date"),
        Index("ix_event_type_date", "type", "date_earliest", "id"),
        Index("ix_event_status_date", "status", "date_earliest", "id"),
        Index("ix_event_location_id_date", "location_id", "date_earliest", "id"),
    )
    id: str = Field(primary_key=True)
    article_id: str = Field(foreign_key="article.id", index=True)
    type: str
    title: str = Field(index=True)
    description: str
    status: str
    location_id: str | None = Field(default=None, foreign_key="entity.id")
    date: DateObject = Field(sa_type=JSON)
    date_earliest: dt.date
    date_latest: dt.date = Field(index=True)
    doc: str | None = None  # the API's JSON of this fact, rendered at load time (see documents.py)
    csv: str | None = None  # its CSV row (the list\'s columns, app/formats.py), rendered with `doc`


class EventParticipant(SQLModel, table=True):
    __tablename__ = "event_participant"
    event_id: str = Field(foreign_key="event.id", primary_key=True)
    entity_id: str = Field(foreign_key="entity.id", primary_key=True, index=True)
    role: str = Field(primary_key=True)
    position: int


class Evidence(SQLModel, table=True):
    """A span of an article supporting one field (``role``) of an article, quote, pledge or event."""

    __table_args__ = (Index("ix_evidence_subject", "subject_type", "subject_id"),)
    id: int | None = Field(default=None, primary_key=True)
    article_id: str = Field(foreign_key="article.id", index=True)
    subject_type: str
    subject_id: str
    role: str
    start: int
    end: int
    text: str


class Annotation(SQLModel, table=True):
    """Every span of every fact of an article (evidence and mentions), rendered at load time for
    ``/v1/articles/{id}/annotations`` (``doc``: the API's JSON of each)."""

    # Numbered in reading order at load time: an article's annotations are read off this index in order.
    __table_args__ = (Index("ix_annotation_article_id", "article_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    article_id: str = Field(foreign_key="article.id")
    start: int
    end: int
    fact_type: str
    role: str
    entity_id: str | None = Field(default=None, foreign_key="entity.id")
    doc: str


class DateSpan(SQLModel, table=True):
    """The longest date range (``latest - earliest``, in days) of each dated kind of fact, fixed at load time.

    A lower bound on a fact's later end (``said_on__gte``) is then also one on its earlier end, less this span:
    a bound that the sort index (``earliest``, id) can seek to, instead of walking from its start
    (``params.date_range``)."""

    __tablename__ = "date_span"
    name: str = Field(primary_key=True)  # "quote.said_on": table and the range's parameter name
    days: int


class DatasetInfo(SQLModel, table=True):
    __tablename__ = "dataset_info"
    id: int = Field(default=1, primary_key=True)
    version: str
    loaded_at: dt.datetime
    counts: dict[str, int] = Field(sa_type=JSON)


class SeedPart(SQLModel, table=True):
    """A part of the seeds the data was loaded from (``entities.yaml``, or one article's folder) with the hash of
    its files: what lets the next load redo only the parts that changed (``app/incremental.py``)."""

    __tablename__ = "seed_part"
    name: str = Field(primary_key=True)  # "entities.yaml", "articles/<folder>"
    sha256: str
    article_id: str | None = None  # the article defined there
    entities: list[str] = Field(sa_type=JSON)  # the entities defined there, in order
