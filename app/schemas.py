"""What the API returns: the public shapes, each field described for the docs page.

Tables live in ``models.py``; these are the JSON shapes built from them (entity references embedded as
summaries, evidence attached, dates as objects), which differ enough from the rows to be their own classes.
"""

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, WithJsonSchema

from app.models import (
    AnnotationRole,
    DatePrecision,
    EntityType,
    EventStatus,
    EventType,
    EvidenceRole,
    FactType,
    PledgeStatus,
    QuoteKind,
)

T = TypeVar("T")
# A day or a moment as the API writes it (ISO 8601 text), declared with its format for generated clients.
IsoDay = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]


def open_to_additions(schema: dict[str, Any]) -> None:
    """A response schema says nothing of fields it does not list: clients generated from it must accept fields
    added later (the compatibility policy: within /v1 fields are added, never removed or retyped). Rendering at
    load time still refuses any field a model does not declare (``extra="forbid"``)."""
    schema.pop("additionalProperties", None)


class _Public(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=open_to_additions)


# Offsets, said once for every span (evidence, mentions, annotations).
START = "Start offset, in Unicode code points, into the article's `text` (inclusive): for Python, Rust, Go runes."
END = "End offset, in Unicode code points (exclusive)."
START_UTF16 = (
    "Start offset in UTF-16 code units (inclusive): for JavaScript, Java and C#, `text.slice(start_utf16, "
    "end_utf16)`. Equal to `start` unless a character outside the Basic Multilingual Plane (an emoji) comes before."
)
END_UTF16 = "End offset in UTF-16 code units (exclusive)."


class EntitySummary(_Public):
    """A compact reference to an entity, embedded wherever a fact names one."""

    id: str = Field(description="Stable slug of the entity.", examples=["antony-blinken"])
    name: str = Field(description="Display name.", examples=["Antony Blinken"])
    type: EntityType = Field(description="Kind of entity.")


class EvidencePublic(_Public):
    """A span of an article that supports a fact: ``text == article.text[start:end]``."""

    article: str = Field(description="Id of the article the span is in.")
    role: EvidenceRole = Field(description="Which part of the fact the span supports, e.g. `text`, `amount`, `date`.")
    start: int = Field(description=START)
    end: int = Field(description=END)
    start_utf16: int = Field(description=START_UTF16)
    end_utf16: int = Field(description=END_UTF16)
    text: str = Field(description="The exact characters of the article between `start` and `end`.")


class DatePublic(_Public):
    """A date at a precision, with its inclusive bounds and how it was established."""

    value: str | None = Field(
        description="ISO 8601 at its precision (`2023-02-28`, `2023-W09`, `2022-09`, `2022`); null for phrases "
        "such as 'recent' that have no period of their own.",
        examples=["2023-02-28"],
    )
    precision: DatePrecision | None = Field(description="DatePrecision of `value`.")
    earliest: IsoDay | None = Field(description="First possible day (inclusive), `YYYY-MM-DD`; null if unbounded.")
    latest: IsoDay | None = Field(description="Last possible day (inclusive), `YYYY-MM-DD`; null if unbounded.")
    text: str | None = Field(description="The phrase in the article the date comes from, if any.")
    inferred: bool = Field(description="True when resolved from a relative phrase or outside knowledge.")
    basis: str | None = Field(description="How an inferred date was established.")


class UsdPublic(_Public):
    """What an amount was worth in US dollars when it was announced: amounts in different currencies compare."""

    amount: int | float = Field(description="US dollars (major units).", examples=[2071921.93])
    amount_minor: int = Field(description="US cents.", examples=[207192193])
    rate: float = Field(description="US dollars per unit of the pledge's currency (1 for US dollars).")
    rate_date: str = Field(description="Day of the rate, `YYYY-MM-DD`.", examples=["2023-07-03"])
    source: str = Field(description="Where the rate comes from.")
    basis: str = Field(
        description="Which day's rate and why: the last day of the pledge's announcement date range (its day, "
        "or the end of its week, month or year), or the latest business day with a rate before it."
    )


class MoneyPublic(_Public):
    amount: int | float = Field(description="Amount in major units of the currency.", examples=[25000000])
    amount_minor: int = Field(description="Amount in minor units (e.g. cents), exact.", examples=[2500000000])
    currency: str = Field(description="ISO 4217 currency code.", examples=["USD"])
    text: str = Field(description="The amount as written in the article.", examples=["$25 million"])
    usd: UsdPublic | None = Field(
        description="The US dollar equivalent at the time of the announcement, from the European Central Bank's "
        "reference rates; null for a currency the ECB publishes no rate for."
    )


class ParticipantPublic(_Public):
    entity: EntitySummary = Field(description="Who takes part.")
    role: str = Field(description="The participant's role, e.g. `host`, `guest`, `traveler`, `author`.")


class EventSummary(_Public):
    id: str = Field(description="Stable slug of the event.")
    title: str = Field(description="Title of the event.")
    type: EventType = Field(description="Type of the event.")


class BodyRange(_Public):
    start: int = Field(description="Offset where the article body starts (after the title line).")
    end: int = Field(description="Offset where the body ends (before the page boilerplate).")


class EntityCounts(_Public):
    mentions: int = Field(description="Occurrences of the entity in the articles.")
    quotes: int = Field(description="Quotes the entity is the speaker of.")
    pledges: int = Field(description="Pledges the entity gives, announces or receives.")
    events: int = Field(description="Events the entity takes part in or hosts (as location).")


class EntityPublic(_Public):
    id: str = Field(description="Stable slug.", examples=["antony-blinken"])
    type: EntityType = Field(description="Kind of entity.")
    name: str = Field(description="Display name.")
    description: str = Field(description="One-line description.")
    country_code: str | None = Field(
        description="ISO 3166-1 alpha-2: a country's own code, a place's country, a person's nationality."
    )
    aliases: list[str] = Field(description="Other names the entity goes by in the articles.")
    counts: EntityCounts = Field(description="How many facts involve the entity.")
    url: str = Field(description="This entity's URL in the API.")


class AffiliationPublic(_Public):
    role: str = Field(description="Role, e.g. `Secretary of State`.")
    organization: EntitySummary | None = Field(description="Where the role is held, if an entity.")


class MentionPublic(_Public):
    """One occurrence of an entity in an article: the entity's evidence."""

    id: int = Field(description="Number of the mention, stable for a dataset version (see `/v1` `dataset`).")
    article: str = Field(description="Id of the article.")
    entity: EntitySummary = Field(description="The entity mentioned.")
    start: int = Field(description=START)
    end: int = Field(description=END)
    start_utf16: int = Field(description=START_UTF16)
    end_utf16: int = Field(description=END_UTF16)
    text: str = Field(description="The words as written.")
    url: str = Field(description="This mention's URL in the API.")


class EntityLinks(_Public):
    mentions: str = Field(description="Every mention of the entity in the articles (its evidence), paged.")
    quotes: str = Field(description="Quotes the entity said.")
    quotes_mentioning: str = Field(description="Quotes that refer to the entity.")
    pledges_given: str = Field(description="Pledges the entity is the donor of.")
    pledges_received: str = Field(description="Pledges the entity is a recipient of.")
    pledges_announced: str = Field(description="Pledges the entity announced.")
    events: str = Field(description="Events the entity takes part in.")
    events_located: str = Field(description="Events that take place at the entity.")


class EntityDetail(EntityPublic):
    affiliations: list[AffiliationPublic] = Field(description="Roles held by a person.")
    mentions: list[MentionPublic] = Field(
        description="Occurrences in the articles, the entity's evidence: the first 100 by article and offset "
        "(`counts.mentions` is the total; `links.mentions` pages through all of them)."
    )
    links: EntityLinks = Field(description="API URLs listing the entity's facts.")


class QuotePublic(_Public):
    id: str = Field(description="Stable slug.")
    article: str = Field(description="Id of the article the quote is in.")
    speaker: EntitySummary = Field(description="Who said it (an unnamed source is an entity too).")
    kind: QuoteKind = Field(
        description="`direct`: a full quoted statement; `partial`: a quoted fragment inside reported speech; "
        "`indirect`: reported speech without quotation marks."
    )
    text: str = Field(description="The quoted (or reported) words, verbatim from the article.")
    said_on: DatePublic = Field(description="When it was said.")
    event: EventSummary | None = Field(description="The event at which it was said, where known.")
    mentions: list[EntitySummary] = Field(description="Entities the quote refers to.")
    evidence: list[EvidencePublic] = Field(description="The spans of the article that support this fact.")
    url: str = Field(description="This quote's URL in the API.")


class PledgePublic(_Public):
    id: str = Field(description="Stable slug.")
    article: str = Field(description="Id of the article the pledge is in.")
    donor: EntitySummary = Field(description="Who gives.")
    announced_by: EntitySummary | None = Field(description="Who announced it, where known.")
    recipients: list[EntitySummary] = Field(description="Who receives.")
    amount: MoneyPublic | None = Field(description="The money promised; null for non-monetary support.")
    purpose: str | None = Field(description="What it is for, verbatim from the article.")
    initiatives: list[str] = Field(description="Initiatives it funds, verbatim from the article.")
    status: PledgeStatus = Field(description="Status as of publication.")
    announced_on: DatePublic = Field(description="When it was announced.")
    evidence: list[EvidencePublic] = Field(description="The spans of the article that support this fact.")
    url: str = Field(description="This pledge's URL in the API.")


class EventPublic(_Public):
    id: str = Field(description="Stable slug.")
    article: str = Field(description="Id of the article the event is in.")
    type: EventType = Field(description="Type of the event.")
    title: str = Field(description="Short title.")
    description: str = Field(description="One sentence on what happened.")
    date: DatePublic = Field(description="When it happened or is planned.")
    status: EventStatus = Field(description="As of the article's publication.")
    location: EntitySummary | None = Field(description="Where, if known.")
    participants: list[ParticipantPublic] = Field(description="Who took part, with their roles.")
    evidence: list[EvidencePublic] = Field(description="The spans of the article that support this fact.")
    url: str = Field(description="This event's URL in the API.")


class ArticlePublic(_Public):
    id: str = Field(description="Stable slug.")
    title: str = Field(description="Headline, without the publisher's suffix.")
    publisher: EntitySummary = Field(description="Who published the article.")
    published_on: DatePublic = Field(description="Publication date.")
    language: str = Field(description="ISO 639-1 language code.")
    source_url: str | None = Field(description="Where the article was published, if known (never invented).")
    body: BodyRange = Field(description="The article body within `text`, excluding title and page boilerplate.")
    evidence: list[EvidencePublic] = Field(description="The spans of the article that support this fact.")
    url: str = Field(description="This article's URL in the API.")


class ArticleDetail(ArticlePublic):
    text: str = Field(description="The full verbatim text; every evidence offset points into it.")


class Page(_Public, Generic[T]):
    """One page of a list, newest cursor first."""

    data: list[T] = Field(description="The items of this page.")
    next_cursor: str | None = Field(description="Opaque cursor for the next page; null on the last page.")
    next_url: str | None = Field(description="URL of the next page; null on the last page.")
    total: int | None = Field(None, description="Number of matching items; only when `count=true` is asked.")


class FacetValue(_Public):
    value: str = Field(description="The value, as its filter takes it: an id, a code, a vocabulary word or a year.")
    label: str = Field(
        description="What to show for it: the entity's name, the article's or event's title, else the value itself."
    )
    count: int = Field(
        description="How many of the matching items have this value (an item with several values "
        "counts once for each).",
        ge=1,
    )
    url: str = Field(
        description="This list with the request's parameters and this value's filter (no cursor): "
        "`count=true` on it gives `total` equal to `count`."
    )


class Facet(_Public):
    values: list[FacetValue] = Field(
        description="The most frequent values, at most 30: by count, most first, then by value.", max_length=30
    )
    truncated: bool = Field(description="Whether more values have matching items than are listed.")


class ListPage(Page[T], Generic[T]):
    """One page of a list, which may count its items by facet."""

    facets: dict[str, Facet] | None = Field(
        None, description="For `facet=`: each facet asked for that finished within the time budget, by name."
    )
    facets_timed_out: list[str] | None = Field(
        None,
        description="For `facet=`: the facets asked for that ran over the time budget and are left out (empty when "
        "none did); asking again, or with a narrower filter, may give them.",
    )


class AnnotationPublic(_Public):
    """One span of one fact, as a front end highlights it: which fact, which part of it, where, what it says.

    Spans may overlap (a quote's text contains the mentions inside it) and may nest; a highlighter must allow it.
    """

    type: FactType = Field(description="Kind of the fact the span supports: `entity` for a mention.")
    id: str = Field(description="Id of the fact.", examples=["diplomat-tread-very-carefully"])
    url: str = Field(description="The fact's URL in the API.")
    label: str = Field(
        description="A short label for the fact: an entity's name, a quote's first words, a pledge's amount or "
        "purpose, an event's or article's title."
    )
    role: AnnotationRole = Field(description="Which part of the fact the span supports; `mention` for an entity.")
    entity: EntitySummary | None = Field(description="For a mention, the entity mentioned; otherwise null.")
    start: int = Field(description=START)
    end: int = Field(description=END)
    start_utf16: int = Field(description=START_UTF16)
    end_utf16: int = Field(description=END_UTF16)
    text: str = Field(description="The exact characters of the article between `start` and `end`.")


class SearchHit(_Public):
    type: FactType = Field(description="Kind of result.")
    id: str = Field(description="Id of the result.")
    label: str = Field(description="What to show for it: a name, title or the quote's words.")
    snippet: str = Field(
        description="HTML-escaped excerpt around the match, matched words wrapped in `<mark>`...`</mark>`."
    )
    url: str = Field(description="The result's URL in the API.")


# One named page per list (`QuotePage`, not `Page_QuotePublic_`): the names generated clients use.
class ArticlePage(ListPage[ArticlePublic]):
    """One page of articles."""


class EntityPage(ListPage[EntityPublic]):
    """One page of entities."""


class MentionPage(ListPage[MentionPublic]):
    """One page of mentions."""


class QuotePage(ListPage[QuotePublic]):
    """One page of quotes."""


class PledgePage(ListPage[PledgePublic]):
    """One page of pledges."""


class EventPage(ListPage[EventPublic]):
    """One page of events."""


class AnnotationPage(Page[AnnotationPublic]):
    """All the annotations of an article (one page)."""


class SearchPage(Page[SearchHit]):
    """Search results, best first (one page)."""


class DatasetPublic(_Public):
    version: str = Field(description="Hash of the seed files the database was built from.")
    loaded_at: AwareDatetime = Field(description="When the database was built: UTC, ISO 8601 with `Z`.")


class Index(_Public):
    api_version: str = Field(description="Version of this API, as in the OpenAPI document's `info.version`.")
    dataset: DatasetPublic = Field(description="The data being served.")
    counts: dict[str, int] = Field(description="Number of items of each resource.")
    links: dict[str, str] = Field(description="Where each resource and the docs live.")


class Health(_Public):
    status: Literal["ok"] = Field(description="Always `ok` when the service can answer.")
    dataset_version: str = Field(description="Version of the data being served.")


class ParameterError(_Public):
    parameter: str = Field(description="The query parameter (or path segment) at fault.")
    detail: str = Field(description="What is wrong with it.")


class Problem(_Public):
    """An RFC 9457 problem document (``application/problem+json``)."""

    type: str = Field(description="URI naming the kind of problem.", examples=["about:blank"])
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="HTTP status code.")
    detail: str = Field(description="What went wrong with this request.")
    errors: list[ParameterError] | None = Field(
        None, description="For bad parameters: `[{parameter, detail}]`, one per problem."
    )
