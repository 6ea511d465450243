"""Query parameters: what every list accepts, and how a filter is declared (once, on its query-model field, with
the column it reads and its operator):

    speaker: Annotated[Slug | None, Eq(Quote.speaker_id)] = Field(None, description="...")

``Resource`` (``app/resources.py``) collects these from the query model, and ``listing.fetch`` turns each given
parameter into its condition on a bound parameter of the same name. A date range is four filters generated from
one declaration (``date_range``). The parameter types that only a slug or a code may take live here too, so a
value that cannot be an id is a 400 before any SQL is built.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, TypeVar, cast

from annotated_types import Ge, Le, MaxLen, MinLen
from pydantic import (
    AllowInfNan,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    create_model,
)
from sqlalchemy import ColumnElement, and_, bindparam, case, func, literal, literal_column, or_, select

from app.dates import Day
from app.formats import Format, field_names
from app.models import MAX_ID_LENGTH, DateSpan
from app.patterns import COUNTRY_CODE, CURRENCY_CODE, LANGUAGE_CODE, SLUG
from app.sql import DaysBefore, Unindexed, in_values
from app.sql import values as in_values_of


def _split_commas(value: Any) -> Any:
    """``a,b`` and repeated ``x=a&x=b`` both mean the list ``[a, b]``.

    An empty part (``x=``, ``a,,b``) stays in the list, so it is refused like any other bad item rather than
    silently dropped: the OpenAPI document says every item is a non-empty value.
    """
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in values):
        return value
    return [part.strip() for v in values for part in v.split(",")]


# Every parameter is bounded, so the longest request the OpenAPI document allows fits in the server's URL limit
# (settings.max_url_bytes; tests/test_openapi.py adds it up): a valid request is never refused with a 414.
MAX_LIST_ITEMS = 10
MAX_SORT_LENGTH = 64

T = TypeVar("T")
# A list parameter given as ``a,b`` (or repeated); 1 to MAX_LIST_ITEMS values.
CommaList = Annotated[list[T], BeforeValidator(_split_commas), MinLen(1), MaxLen(MAX_LIST_ITEMS)]

# Ids and codes are refused (400) unless they have the only form they can take: an id is a slug, as the loader
# requires, so ``speaker=' OR 1=1--`` is a bad parameter, not a search for a strange id.
Slug = Annotated[str, StringConstraints(pattern=SLUG, max_length=MAX_ID_LENGTH)]
is_slug = re.compile(SLUG).match
CountryCode = Annotated[str, StringConstraints(pattern=COUNTRY_CODE)]  # ISO 3166-1 alpha-2
CurrencyCode = Annotated[str, StringConstraints(pattern=CURRENCY_CODE)]  # ISO 4217
LanguageCode = Annotated[str, StringConstraints(pattern=LANGUAGE_CODE)]  # ISO 639-1
CalendarYear = Annotated[int, Ge(1), Le(9999)]
# Money in major units: never negative, and a quadrillion is beyond any pledge.
Amount = Annotated[float, Ge(0), Le(10**15), AllowInfNan(False)]


# A cursor is ``<payload>.<signature>``: the page's sort and last sort values as JSON in unpadded base64url, and
# 16 hex digits of HMAC (cursors.encode_cursor). Its length is bounded by the longest sort values the loader
# accepts (models.MAX_ID_LENGTH, MAX_LABEL_LENGTH; tests/test_pagination.py builds the longest possible one).
# The form is documented and checked (400 if wrong); whether this list issued it is a lookup (404 if not).
CURSOR = r"^(?:[A-Za-z0-9_-]{4})+(?:[A-Za-z0-9_-]{2,3})?\.[0-9a-f]{16}$"
MAX_CURSOR_LENGTH = 2048
is_cursor = re.compile(CURSOR).match
Cursor = Annotated[str, WithJsonSchema({"type": "string", "pattern": CURSOR, "maxLength": MAX_CURSOR_LENGTH})]

MAX_LIMIT = 200
MAX_QUERY_LENGTH = 200


FORMAT = Field(
    None,
    description="`json`, `csv` or `ndjson`: the representation, over what `Accept` asks for (for links in a browser).",
    examples=["csv"],
)


class Representable(BaseModel):
    """What lists and items both accept: the representation and the fields kept (``app/formats.py``)."""

    model_config = ConfigDict(extra="forbid")

    format: Format | None = FORMAT
    # Narrowed to the model's own field names by ``with_fields``, per resource.
    fields: CommaList[str] | None = Field(None)


def with_fields(base: type[Representable], model: type[BaseModel]) -> Any:
    """``base`` whose ``fields`` may name only the top-level fields of ``model`` (an unknown one is a 400 that
    lists them all, and the OpenAPI document enumerates them)."""
    names = field_names(model)
    allowed: Any = CommaList[Literal.__getitem__(names)] | None  # type: ignore[misc]  # built at run time
    description = "Keep only these top-level fields of each item (comma-separated), e.g. `id,text,speaker`."
    field = Field(None, description=description, examples=[list(names[:2])])
    return create_model(base.__name__, __base__=base, fields=(allowed, field))


def with_facets(base: type["ListParams"], names: list[str]) -> Any:
    """``base`` whose ``facet`` may name only these facets (an unknown one is a 400 that lists them, and the
    OpenAPI document enumerates them)."""
    allowed: Any = CommaList[Literal.__getitem__(tuple(names))] | None  # type: ignore[misc]  # built at run time
    # No example: Schemathesis' example phase sends every parameter's example at once, and `format`'s is `csv`,
    # with which facets are a 400 (its other phases follow tests/amount_rule.py).
    field = Field(None, description=FACET_DESCRIPTION)
    return create_model(base.__name__, __base__=base, facet=(allowed, field))


FACET_DESCRIPTION = (
    "Count the matching items by each of these fields (comma-separated or repeated): the JSON page gains "
    "`facets`, each field's 30 most frequent values with their counts and a `url` that filters by the value. "
    "JSON only (a page, or a `stream=true` page of every item): with `format=csv`/`ndjson` it is a 400."
)


class ItemParams(Representable):
    """Query parameters of an item (its representation); anything else is a 400."""


class ListParams(Representable):
    """Query parameters every list accepts; a list's query model adds its filters."""

    limit: int = Field(50, ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}.", examples=[10])
    cursor: Cursor | None = Field(
        None,
        description="The previous page's `next_cursor`, unchanged (opaque and signed: `payload.signature`). "
        "A cursor of another list or sort order, or from before the server's key changed, is a 404.",
    )
    sort: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_SORT_LENGTH,
        description="Comma-separated sort keys from the resource's allow-list; `-` for descending "
        "(e.g. `-said_on,speaker`). The id is always the final tie-breaker.",
        examples=["-id"],
    )
    count: bool = Field(False, description="Also return `total`, the number of matching items.")
    stream: bool = Field(
        False,
        description="Every matching item in the list's order, streamed in one response without paging: CSV rows, "
        "NDJSON lines, or one JSON page holding them all (`limit` is ignored; at most the server's row cap, given "
        "in `X-Row-Cap`).",
    )
    # Narrowed to the list's own facets by ``with_facets``, per resource.
    facet: CommaList[str] | None = Field(None)
    q: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_QUERY_LENGTH,
        description="Full-text filter: plain words, case- and accent-insensitive, the last word matched as a prefix.",
        examples=["central"],
    )


class NoParams(BaseModel):
    """Routes without query parameters still refuse unknown ones (400), like the lists do."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True, eq=False)  # eq=False: comparing SQLAlchemy columns builds expressions, not booleans
class Filter:
    """The column a filter parameter looks at (which must be indexed) and the condition it builds on a bound
    parameter of the given name (``many``: the parameter is a list, bound as one JSON array).

    An equality filter (``Eq``, ``Linked``, a date's ``__year``) is also a facet (``app/facets.py``): the values
    of ``column`` among the matching items, counted. ``link`` is a many-valued field's (item key, link table's
    key): an item counts once for each of its values. ``year`` is the (earliest, latest) of a date range.

    ``order``: a range's, the column in whose order an index holds its matches together: a list sorted by it
    seeks them in that index. Under any other sort a page chooses (``listing.fetch``, SQLite): it counts the
    range's matches through its own index up to ``FEW_IN_RANGE``; fewer, it reads them that way and sorts them; as
    many, it walks the sort's index testing each row, where they are dense enough to fill a page soon (beside
    another filter, the planner weighs that filter's index, which may seek the range too).
    """

    column: Any
    build: Callable[[Any, str], ColumnElement[bool]]
    many: bool = False
    equality: bool = False
    link: tuple[Any, Any] | None = None
    year: tuple[Any, Any] | None = None
    order: Any = None
    # Alternatives whose union is the condition, each of which an index can seek (``LaterEnd``); a page reads them
    # as one UNION ALL in its order.
    arms: Callable[[Any, str], list[ColumnElement[bool]]] | None = None

    def condition(self, name: str) -> ColumnElement[bool]:
        return self.build(self.column, name)

    def bind(self, name: str, value: Any) -> dict[str, Any]:
        """The bound parameters of the condition for ``value``."""
        if self.year is not None:  # a calendar year is the range of its first and last day
            return {f"{name}_from": date(value, 1, 1), f"{name}_to": date(value, 12, 31)}
        return {name: in_values_of(value) if self.many else value}


def Eq(column: Any) -> Filter:
    """``column = value``. Capitalised: read as a declaration, ``Annotated[Slug | None, Eq(Quote.kind)]``."""
    return Filter(column, lambda col, name: col == bindparam(name), equality=True)


def In(column: Any) -> Filter:
    return Filter(column, lambda col, name: in_values(col, name), many=True)


def Gte(column: Any) -> Filter:
    return Filter(column, lambda col, name: col >= bindparam(name), order=column)


def Gt(column: Any) -> Filter:
    return Filter(column, lambda col, name: col > bindparam(name), order=column)


def Lte(column: Any) -> Filter:
    return Filter(column, lambda col, name: col <= bindparam(name), order=column)


def Lt(column: Any) -> Filter:
    return Filter(column, lambda col, name: col < bindparam(name), order=column)


def Linked(key: Any, link_key: Any, link_value: Any) -> Filter:
    """Rows whose ``key`` appears in a link table next to the given value (e.g. quotes mentioning X)."""
    condition = lambda col, name: key.in_(select(link_key).where(col == bindparam(name)))  # noqa: E731
    return Filter(link_value, condition, equality=True, link=(key, link_key))


def Year(earliest: Any, latest: Any) -> Filter:
    """Facts dated within one calendar year: the whole date range inside it. The earlier end is bounded on both
    sides (``earliest <= to`` follows from ``latest <= to``, so it changes no result): the index on it then reads
    that year alone, where a bound on one side of each end would read every fact after, or before, the year."""

    def condition(_col: Any, name: str) -> ColumnElement[bool]:
        start: Any = bindparam(f"{name}_from")
        end: Any = bindparam(f"{name}_to")
        return and_(earliest >= start, earliest <= end, latest <= end)

    return Filter(earliest, condition, equality=True, year=(earliest, latest), order=earliest)


def referenced(filter: Filter) -> Any | None:
    """The id column whose ids a filter's values are (through its column's foreign key, or the column itself when
    it is its table's own id), or None when the values are not ids (a type, a date, a code)."""
    column = getattr(filter.column, "property", None)
    column = column.columns[0] if column is not None else filter.column
    for key in column.foreign_keys:
        return key.column
    return column if column.primary_key else None


@dataclass(frozen=True, eq=False)
class SortKey:
    """A sort key stored in other columns for each direction. A key that some items lack (a pledge without money
    has no value in US dollars) cannot sort on its nullable column: a keyset cursor cannot resume after a NULL
    (``(usd, id) > (NULL, 'x')`` is unknown, not true), and NULL sorts first one way and last the other. Its
    stored non-null columns put those items last in both directions, each direction in one index."""

    ascending: tuple[Any, ...]
    descending: tuple[Any, ...]


def sort_columns(key: Any, descending: bool) -> tuple[Any, ...]:
    """The columns a sort key orders by in that direction: a plain column, or a ``SortKey``'s."""
    if isinstance(key, SortKey):
        return key.descending if descending else key.ascending
    return (key,)


def filters_of(model: type[BaseModel]) -> dict[str, Filter]:
    """parameter name -> its filter, for every field of ``model`` declared with one."""
    return {
        name: next(meta for meta in info.metadata if isinstance(meta, Filter))
        for name, info in model.model_fields.items()
        if any(isinstance(meta, Filter) for meta in info.metadata)
    }


# Every date range declared by ``date_range``: its name in ``date_span`` -> (earliest, latest) columns. The loader
# stores each one's longest span (``loader.store_date_spans``).
DATE_RANGES: dict[str, tuple[Any, Any]] = {}


# A fact with no known first day is stored from 0001-01-01 (``app/models.py``): as SQL text, so that a partial
# index on such facts can be used (SQLite matches a partial index's WHERE to the query's text, not to a bound value).
OPEN_START: ColumnElement[Any] = literal_column("'0001-01-01'")
# How many open-started facts may match before ``LaterEnd`` walks them in order rather than sorting the matches.
FEW_OPEN = 1000
# How many matches a range filter may have, counted through its own index, before a page sorted by another key
# walks that key's index rather than reading the matches and sorting them (``Filter.order``, ``listing.fetch``).
FEW_IN_RANGE = 5000


def LaterEnd(latest: Any, earliest: Any, span: str, compare: Callable[[Any, Any], Any]) -> Filter:
    """A lower bound on a range's later end (``latest >= day``), also stated on its earlier end (``earliest >= day
    - longest span``, which changes no result): the sort index, on ``earliest``, then seeks to the first fact that
    can match instead of reading every one before it. The span is read in the statement itself, so it is always
    that of the data the statement reads, and is measured over the facts with a known first day
    (``loader.store_date_spans``): the open-started ones (15% of the synthetic quotes) have a range reaching back
    to year 1, which would take the bound back there too. They are found apart (``arms``, each a seek, which a page
    reads as one ``UNION ALL`` in its order): through an index on their later end and then sorted when at most
    ``FEW_OPEN`` of them match, else by walking them in the sort's order, where ``FEW_OPEN`` or more matches make a
    page's worth near."""
    span_table = DateSpan.__table__  # type: ignore[attr-defined]
    days = select(span_table.c.days).where(span_table.c.name == literal(span)).scalar_subquery()
    key = earliest.class_.id
    begun = earliest == OPEN_START

    def bounded(col: Any, name: str) -> ColumnElement[bool]:
        return and_(compare(col, bindparam(name)), earliest >= DaysBefore(bindparam(name), days))

    def build(col: Any, name: str) -> ColumnElement[bool]:
        return or_(bounded(col, name), and_(begun, compare(col, bindparam(name))))

    def arms(col: Any, name: str) -> list[ColumnElement[bool]]:
        # At most FEW_OPEN matches, read off the partial index on the later end (models.open_started), and how many:
        # each read once (a common table expression used twice is computed once).
        first = select(key).where(begun, compare(col, bindparam(name))).limit(FEW_OPEN).cte(f"{name}_open")
        counted = select(func.count().label("n")).select_from(first).cte(f"{name}_open_count")
        matches = select(counted.c.n).scalar_subquery()

        def taken(when: ColumnElement[bool]) -> ColumnElement[bool]:
            """The sort index's first column equal to 0001-01-01 if ``when``, else to null (matching nothing): a
            value the index seeks with, computed once, where the test alone would be repeated on every row."""
            return cast(ColumnElement[bool], earliest == case((when, literal(date.min, earliest.type))))

        # Few: those ids; many: the open-started walked in the sort's order, testing the later end (which the
        # quotes' sort index holds), kept from choosing an index so that the walk is the plan.
        few = and_(taken(matches < FEW_OPEN), key.in_(select(first.c.id)))
        walk = and_(taken(matches >= FEW_OPEN), compare(Unindexed(col), bindparam(name)))
        return [bounded(col, name), few, walk]

    return Filter(latest, build, arms=arms, order=earliest)


def date_range(name: str, earliest: Any, latest: Any, facts: str, example: str) -> type[BaseModel]:
    """``name__gte/gt/lte/lt`` for facts dated by a range, as a base class of the list's query model.

    A fact's date is a range (``earliest`` to ``latest``, both indexed): a bound matches when the range could
    reach it, so an event dated "last week" matches ``date__gte`` any day up to that Sunday.
    """
    span = f"{earliest.class_.__tablename__}.{name}"
    DATE_RANGES[span] = (earliest, latest)
    fields: dict[str, Any] = {
        f"{name}__gte": (
            Annotated[Day | None, LaterEnd(latest, earliest, span, lambda col, day: col >= day)],
            Field(None, description=f"Only {facts} on or after this date.", examples=[example]),
        ),
        f"{name}__gt": (
            Annotated[Day | None, LaterEnd(latest, earliest, span, lambda col, day: col > day)],
            Field(None, description=f"Only {facts} after this date."),
        ),
        f"{name}__lte": (
            Annotated[Day | None, Lte(earliest)],
            Field(None, description=f"Only {facts} on or before this date.", examples=[example]),
        ),
        f"{name}__lt": (
            Annotated[Day | None, Lt(earliest)],
            Field(None, description=f"Only {facts} before this date."),
        ),
        f"{name}__year": (
            Annotated[CalendarYear | None, Year(earliest, latest)],
            Field(
                None,
                description=f"Only items whose `{name}` lies within this calendar year (its whole date range: a "
                "date that could fall in two years is in neither). The facet `year` counts by it.",
                examples=[int(example[:4])],
            ),
        ),
    }
    return create_model(f"{name}_range", __config__=ConfigDict(extra="forbid"), **fields)
