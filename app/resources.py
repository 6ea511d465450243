"""The one registry of resources: what each list filters (its query model), how it sorts, how its facts render.

Read by everything that needs the list of resources: the routers (``app/routers/``), the OpenAPI document
(``app/openapi.py``), the loader (each fact's document, ``loader.store_documents``), search (``/v1/search`` links
its hits here) and ``/v1``. A filter is declared once, on its query-model field, with its column and operator
(``app/params.py``); a date range is one ``date_range(...)`` base class.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy import Connection, Row
from sqlmodel import SQLModel

from app import render
from app.models import (
    Article,
    Entity,
    EntityType,
    Event,
    EventParticipant,
    EventStatus,
    EventType,
    Mention,
    Pledge,
    PledgeRecipient,
    PledgeStatus,
    Quote,
    QuoteKind,
    QuoteMention,
)
from app.params import (
    Amount,
    CommaList,
    CountryCode,
    CurrencyCode,
    Eq,
    Filter,
    Gt,
    Gte,
    In,
    ItemParams,
    LanguageCode,
    Linked,
    ListParams,
    Lt,
    Lte,
    Slug,
    SortKey,
    date_range,
    filters_of,
    referenced,
    sort_columns,
    with_facets,
    with_fields,
)
from app.schemas import (
    ArticleDetail,
    ArticlePublic,
    EntityDetail,
    EntityPublic,
    EventPublic,
    MentionPublic,
    PledgePublic,
    QuotePublic,
)

ARTICLE_EXAMPLE = "mt-2023-02-28-blinken-central-asia"


@dataclass
class Resource:
    name: str  # the path segment, e.g. "quotes"
    kind: str  # one item, e.g. "quote": its search kind, evidence subject type and path parameter (`quote_id`)
    description: str  # for the docs page
    table: type[SQLModel]
    query: type[ListParams]  # the list's query model; its fields declared with a Filter are the filters
    sorts: dict[str, Any]  # sort key -> column, or a SortKey (columns per direction); "id" is implied
    default_sort: str
    render: render.Renderer  # rows -> public models, at load time
    model: type[BaseModel]  # the public shape of an item of the list (its JSON, its CSV columns)
    detail: Callable[[Connection, Row[Any]], bytes] | None = None  # what a detail adds at request time, if anything
    detail_model: type[BaseModel] | None = None  # the detail's shape, when it adds to the list's
    item_query: type[ItemParams] = field(init=False)  # what a detail accepts
    # What `q` matches: the indexed text of this kind's items, found by this column (default: its own, by id).
    search_kind: str = ""
    search_column: Any = None
    filters: dict[str, Filter] = field(init=False)
    references: dict[str, Any] = field(init=False)  # filter parameter -> the id column its values name
    facets: dict[str, str] = field(init=False)  # facet name -> the equality filter that selects one of its values
    id_column: Any = field(init=False)
    columns: list[Any] = field(init=False)
    page_columns: list[Any] = field(init=False)  # what a list page reads: the rendered doc and the sort keys
    csv_page_columns: list[Any] = field(init=False)  # a CSV page of whole items: the stored CSV row instead

    def __post_init__(self) -> None:
        self.detail_model = self.detail_model or self.model
        self.query = with_fields(self.query, self.model)
        self.item_query = with_fields(ItemParams, self.detail_model)
        self.filters = filters_of(self.query)
        self.references = {name: column for name, f in self.filters.items() if (column := referenced(f)) is not None}
        # Every equality filter is a facet, but one on the item's own id (an article's `article`), whose values
        # would each count 1; a date's `__year` filter is the facet `year`.
        self.id_column = cast(Any, self.table).id
        equal = [(name, f) for name, f in self.filters.items() if f.equality and f.column is not self.id_column]
        self.facets = {name: name for name, f in equal if f.year is None}
        self.facets.update(("year", name) for name, f in equal if f.year is not None)
        self.query = with_facets(self.query, list(self.facets))
        self.search_kind = self.search_kind or self.kind
        self.search_column = self.id_column if self.search_column is None else self.search_column
        table = cast(Any, self.table).__table__
        self.columns = [column for column in table.columns if column.key != "csv"]  # a detail is never read as CSV
        keys = {
            "id",
            "doc",
            *(c.key for key in self.sorts.values() for d in (False, True) for c in sort_columns(key, d)),
        }
        self.page_columns = [column for column in self.columns if column.key in keys]
        self.csv_page_columns = [table.c.csv if column.key == "doc" else column for column in self.page_columns]
        self.sorts = {**self.sorts, "id": self.id_column}

    def url(self, item_id: str | int) -> str:
        return f"/v1/{self.name}/{item_id}"


class ArticleFilter(
    date_range(  # type: ignore[misc]
        "published_on",
        Article.published_on_earliest,
        Article.published_on_latest,
        "articles possibly published",
        "2023-02-28",
    ),
    ListParams,
):
    article: Annotated[Slug | None, Eq(Article.id)] = Field(None, description="Only this article.")
    publisher: Annotated[Slug | None, Eq(Article.publisher_id)] = Field(
        None, description="Only articles by this publisher entity id.", examples=["the-moscow-times"]
    )
    language: Annotated[LanguageCode | None, Eq(Article.language)] = Field(
        None, description="Only articles in this ISO 639-1 language.", examples=["en"]
    )


class EntityFilter(ListParams):
    article: Annotated[Slug | None, Linked(Entity.id, Mention.entity_id, Mention.article_id)] = Field(
        None, description="Only entities mentioned in this article.", examples=[ARTICLE_EXAMPLE]
    )
    type: Annotated[EntityType | None, Eq(Entity.type)] = Field(
        None, description="Only entities of this type.", examples=["person"]
    )
    type__in: Annotated[CommaList[EntityType] | None, In(Entity.type)] = Field(
        None, description="Only entities of one of these types (comma-separated).", examples=[["person", "country"]]
    )
    country_code: Annotated[CountryCode | None, Eq(Entity.country_code)] = Field(
        None, description="Only entities with this ISO 3166-1 alpha-2 code.", examples=["KZ"]
    )
    country_code__in: Annotated[CommaList[CountryCode] | None, In(Entity.country_code)] = Field(
        None, description="Only entities with one of these country codes.", examples=[["KZ", "UZ"]]
    )


class MentionFilter(ListParams):
    article: Annotated[Slug | None, Eq(Mention.article_id)] = Field(
        None, description="Only mentions in this article.", examples=[ARTICLE_EXAMPLE]
    )
    entity: Annotated[Slug | None, Eq(Mention.entity_id)] = Field(
        None, description="Only mentions of this entity id.", examples=["antony-blinken"]
    )


class QuoteFilter(
    date_range(  # type: ignore[misc]
        "said_on", Quote.said_on_earliest, Quote.said_on_latest, "quotes possibly said", "2023-02-28"
    ),
    ListParams,
):
    article: Annotated[Slug | None, Eq(Quote.article_id)] = Field(
        None, description="Only quotes from this article.", examples=[ARTICLE_EXAMPLE]
    )
    speaker: Annotated[Slug | None, Eq(Quote.speaker_id)] = Field(
        None, description="Only quotes said by this entity id.", examples=["antony-blinken"]
    )
    speaker__in: Annotated[CommaList[Slug] | None, In(Quote.speaker_id)] = Field(
        None,
        description="Only quotes said by one of these entity ids (comma-separated).",
        examples=[["kassym-jomart-tokayev", "dmitry-peskov"]],
    )
    kind: Annotated[QuoteKind | None, Eq(Quote.kind)] = Field(
        None, description="Only quotes of this kind.", examples=["direct"]
    )
    mentions: Annotated[Slug | None, Linked(Quote.id, QuoteMention.quote_id, QuoteMention.entity_id)] = Field(
        None, description="Only quotes that refer to this entity id.", examples=["joe-biden"]
    )
    event: Annotated[Slug | None, Eq(Quote.event_id)] = Field(
        None, description="Only quotes said at this event id.", examples=["blinken-tokayev-meeting-2023-02-28"]
    )


class PledgeFilter(
    date_range(  # type: ignore[misc]
        "announced_on",
        Pledge.announced_on_earliest,
        Pledge.announced_on_latest,
        "pledges possibly announced",
        "2023-01-01",
    ),
    ListParams,
):
    article: Annotated[Slug | None, Eq(Pledge.article_id)] = Field(
        None, description="Only pledges from this article.", examples=[ARTICLE_EXAMPLE]
    )
    donor: Annotated[Slug | None, Eq(Pledge.donor_id)] = Field(
        None, description="Only pledges given by this entity id.", examples=["united-states"]
    )
    recipient: Annotated[Slug | None, Linked(Pledge.id, PledgeRecipient.pledge_id, PledgeRecipient.entity_id)] = Field(
        None, description="Only pledges to this entity id.", examples=["kazakhstan"]
    )
    announced_by: Annotated[Slug | None, Eq(Pledge.announced_by_id)] = Field(
        None, description="Only pledges announced by this entity id.", examples=["antony-blinken"]
    )
    status: Annotated[PledgeStatus | None, Eq(Pledge.status)] = Field(
        None, description="Only pledges with this status.", examples=["new"]
    )
    status__in: Annotated[CommaList[PledgeStatus] | None, In(Pledge.status)] = Field(
        None, description="Only pledges with one of these statuses.", examples=[["new", "reaffirmed"]]
    )
    currency: Annotated[CurrencyCode | None, Eq(Pledge.currency)] = Field(
        None, description="Only money pledged in this ISO 4217 currency.", examples=["USD"]
    )
    amount__gte: Annotated[Amount | None, Gte(Pledge.amount)] = Field(
        None,
        description="Only money pledges of at least this amount (major units of `currency`, which it needs).",
    )
    amount__gt: Annotated[Amount | None, Gt(Pledge.amount)] = Field(
        None,
        description="Only money pledges of more than this amount (of `currency`, which it needs).",
    )
    amount__lte: Annotated[Amount | None, Lte(Pledge.amount)] = Field(
        None,
        description="Only money pledges of at most this amount (major units of `currency`, which it needs).",
    )
    amount__lt: Annotated[Amount | None, Lt(Pledge.amount)] = Field(
        None,
        description="Only money pledges of less than this amount (of `currency`, which it needs).",
    )
    usd__gte: Annotated[Amount | None, Gte(Pledge.usd)] = Field(
        None,
        description="Only money pledges worth at least this many US dollars when announced (any currency).",
        examples=[10000000],
    )
    usd__gt: Annotated[Amount | None, Gt(Pledge.usd)] = Field(
        None, description="Only money pledges worth more than this many US dollars."
    )
    usd__lte: Annotated[Amount | None, Lte(Pledge.usd)] = Field(
        None,
        description="Only money pledges worth at most this many US dollars when announced (any currency).",
        examples=[5000000],
    )
    usd__lt: Annotated[Amount | None, Lt(Pledge.usd)] = Field(
        None, description="Only money pledges worth less than this many US dollars."
    )

    @field_validator("amount__gte", "amount__gt", "amount__lte", "amount__lt")
    @classmethod
    def _amounts_compare_in_one_currency(cls, value: float | None, info: ValidationInfo) -> float | None:
        """300 million yen is not more than 25 million dollars: an amount bound means nothing without its currency."""
        if value is not None and info.data.get("currency") is None:
            raise ValueError(
                "amounts in different currencies do not compare: give `currency` too (e.g. currency=USD), or "
                "compare what they were worth in US dollars with usd__gte, usd__gt, usd__lte or usd__lt"
            )
        return value


class EventFilter(
    date_range(  # type: ignore[misc]
        "date", Event.date_earliest, Event.date_latest, "events whose date range could be", "2023-03-01"
    ),
    ListParams,
):
    article: Annotated[Slug | None, Eq(Event.article_id)] = Field(
        None, description="Only events from this article.", examples=[ARTICLE_EXAMPLE]
    )
    type: Annotated[EventType | None, Eq(Event.type)] = Field(
        None, description="Only events of this type.", examples=["meeting"]
    )
    type__in: Annotated[CommaList[EventType] | None, In(Event.type)] = Field(
        None, description="Only events of one of these types (comma-separated).", examples=[["meeting", "trip"]]
    )
    participant: Annotated[Slug | None, Linked(Event.id, EventParticipant.event_id, EventParticipant.entity_id)] = (
        Field(None, description="Only events this entity id takes part in.", examples=["sergei-lavrov"])
    )
    location: Annotated[Slug | None, Eq(Event.location_id)] = Field(
        None, description="Only events at this entity id.", examples=["astana"]
    )
    status: Annotated[EventStatus | None, Eq(Event.status)] = Field(
        None, description="Only events that had occurred, or were planned, at publication.", examples=["planned"]
    )


ARTICLES = Resource(
    name="articles",
    kind="article",
    description="The source articles and their verbatim text.",
    table=Article,
    query=ArticleFilter,
    sorts={"published_on": Article.published_on_earliest, "title": Article.title},
    default_sort="-published_on",
    render=render.articles,
    model=ArticlePublic,
    detail_model=ArticleDetail,
    detail=render.article_detail,
)
ENTITIES = Resource(
    name="entities",
    kind="entity",
    description="People, countries, organizations, places and groups.",
    table=Entity,
    query=EntityFilter,
    sorts={"name": Entity.name, "type": Entity.type, "mentions": Entity.mention_count, "quotes": Entity.quote_count},
    default_sort="name",
    render=render.entities,
    model=EntityPublic,
    detail_model=EntityDetail,
    detail=render.entity_detail,
)
MENTIONS = Resource(
    name="mentions",
    kind="mention",
    description="Each occurrence of an entity in an article: the entities' evidence.",
    table=Mention,
    query=MentionFilter,
    # Mentions are numbered in reading order, so the id tie-breaker keeps an article's mentions in that order.
    sorts={"article": Mention.article_id, "entity": Mention.entity_id},
    default_sort="article",
    render=render.mentions,
    model=MentionPublic,
    search_kind="entity",  # mentions have no words of their own: `q` finds the entities, as /v1/entities does
    search_column=Mention.entity_id,
)
QUOTES = Resource(
    name="quotes",
    kind="quote",
    description="Who said what.",
    table=Quote,
    query=QuoteFilter,
    sorts={"said_on": Quote.said_on_earliest, "speaker": Quote.speaker_id, "kind": Quote.kind},
    default_sort="said_on",
    render=render.quotes,
    model=QuotePublic,
)
PLEDGES = Resource(
    name="pledges",
    kind="pledge",
    description="Money and support promised, to whom.",
    table=Pledge,
    query=PledgeFilter,
    sorts={
        "announced_on": Pledge.announced_on_earliest,
        "donor": Pledge.donor_id,
        "status": Pledge.status,
        # What it was worth in US dollars; pledges without money last, both ways (by id, in the sort's direction).
        "usd": SortKey(ascending=(Pledge.usd_missing, Pledge.usd_sort), descending=(Pledge.usd_sort,)),
    },
    default_sort="announced_on",
    render=render.pledges,
    model=PledgePublic,
)
EVENTS = Resource(
    name="events",
    kind="event",
    description="What happened or is planned, when and where.",
    table=Event,
    query=EventFilter,
    sorts={"date": Event.date_earliest, "type": Event.type, "title": Event.title},
    default_sort="date",
    render=render.events,
    model=EventPublic,
)

RESOURCES = (ARTICLES, ENTITIES, MENTIONS, QUOTES, PLEDGES, EVENTS)
BY_KIND = {resource.kind: resource for resource in RESOURCES}
