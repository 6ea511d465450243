"""Date objects: a value at a precision, its inclusive bounds, and how it was established."""

import calendar
import re
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

PRECISIONS = ("day", "week", "month", "year")

_PATTERNS = {
    "day": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "week": re.compile(r"^(\d{4})-W(\d{2})$"),
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "year": re.compile(r"^(\d{4})$"),
}


def period(value: str, precision: str) -> tuple[date, date]:
    """First and last day of ``value`` read at ``precision``; ValueError if it is not a valid date there."""
    if precision not in _PATTERNS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    match = _PATTERNS[precision].match(value)
    if not match:
        examples = {"day": "2023-02-28", "week": "2023-W09", "month": "2023-02", "year": "2023"}
        raise ValueError(f"{value!r} is not a {precision} (write it like {examples[precision]})")
    try:
        if precision == "day":
            day = date.fromisoformat(value)
            return day, day
        if precision == "week":
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            return monday, monday + timedelta(days=6)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid {precision}") from None
    if precision == "month":
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(f"{value!r} has no month {month}")
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    year = int(match[1])
    return date(year, 1, 1), date(year, 12, 31)


def parse_day(value: str) -> date:
    """A full ``YYYY-MM-DD`` date; ValueError (with a readable message) for anything else."""
    start, _ = period(value, "day")
    return start


def _iso_day(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` reaches pydantic's date parsing: its lax mode also reads ``0`` or ``1677542400`` as
    Unix timestamps and ``2023-02-28T00:00Z`` as a day, none of which the OpenAPI ``format: date`` allows."""
    if isinstance(value, str) and not _PATTERNS["day"].match(value):
        raise PydanticCustomError("date_format", "Input should be a date written YYYY-MM-DD")
    return value


# A date query parameter: exactly what the OpenAPI document says (RFC 3339 full-date), nothing looser.
Day = Annotated[date, BeforeValidator(_iso_day)]


# --- Relative phrases ----------------------------------------------------------------------------------------
# "later this year", "next month", "on Tuesday": resolved against the article's publication day by the rules
# below (seeds/README.md lists them for curators). Each gives a value at a precision, the days it may mean and
# the basis stored with it.

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = tuple(calendar.month_name[1:])
_UNIT_PERIODS = {"week": "week", "month": "month", "year": "year"}


def _shift(day: date, unit: str, step: int) -> date:
    """A day in the week, month or year ``step`` units away from ``day``'s."""
    if unit == "week":
        return day + timedelta(weeks=step)
    if unit == "month":
        months = day.year * 12 + day.month - 1 + step
        return date(months // 12, months % 12 + 1, 1)
    return date(day.year + step, 1, 1)


def value_of(day: date, precision: str) -> str:
    """``day``'s period at ``precision``, written as a date value (2023-02-28, 2023-W09, 2023-02, 2023)."""
    if precision == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return {"day": day.isoformat(), "month": f"{day:%Y-%m}", "year": str(day.year)}[precision]


def relative_rules() -> list[str]:
    """Every phrase ``relative`` knows, as curators write it (``<weekday>``, ``<month>`` stand for any)."""
    units = [f"{when} {unit}" for unit in _UNIT_PERIODS for when in ("this", "last", "next")]
    units += [f"{when} this {unit}" for unit in _UNIT_PERIODS for when in ("earlier", "later")]
    return [
        "today",
        "yesterday",
        "tomorrow",
        "on <weekday>",
        "last <weekday>",
        "in <month>",
        *units,
        "later in the week",
        "recent",
        "recently",
    ]


def relative(phrase: str, published: date) -> tuple[str | None, str | None, date | None, date, str]:
    """``phrase`` resolved against the publication day: (value, precision, earliest, latest, basis); ValueError
    naming the known phrases when there is no rule for it."""
    words = " ".join(phrase.lower().split()).removeprefix("on ")
    on = f"published {published:%a} {published.isoformat()}"
    if words in ("today", "yesterday", "tomorrow"):
        day = published + timedelta(days={"today": 0, "yesterday": -1, "tomorrow": 1}[words])
        return day.isoformat(), "day", day, day, f"{words.capitalize()}: {day} ({on})."
    if words in WEEKDAYS:
        day = published + timedelta(days=WEEKDAYS.index(words) - published.weekday())
        return day.isoformat(), "day", day, day, f"{words.capitalize()} of the publication week ({on})."
    if words.startswith("last ") and words[5:] in WEEKDAYS:
        back = (published.weekday() - WEEKDAYS.index(words[5:]) - 1) % 7 + 1
        day = published - timedelta(days=back)
        return day.isoformat(), "day", day, day, f"The {words[5:].capitalize()} before publication ({on})."
    month = words.removeprefix("in ").capitalize()
    if month in MONTHS:
        number = MONTHS.index(month) + 1
        year = published.year if number <= published.month else published.year - 1
        first, last = period(f"{year}-{number:02d}", "month")
        basis = f"The most recent {month} on or before publication ({on}): {first:%B %Y}."
        return f"{year}-{number:02d}", "month", first, last, basis
    if words in ("recent", "recently"):
        return None, None, None, published, f"{words.capitalize()}: on or before publication ({on})."
    match = re.fullmatch(r"(this|last|next|earlier this|later this|later in the) (week|month|year)", words)
    if match is None:
        raise ValueError(f"no rule for the relative date {phrase!r}; the rules: {', '.join(relative_rules())}")
    when, unit = match[1], match[2]
    step = {"last": -1, "next": 1}.get(when, 0)
    value = value_of(_shift(published, unit, step), unit)
    earliest, latest = period(value, unit)
    if when.startswith("later"):
        earliest = published + timedelta(days=1)
        basis = f"Later this {unit}: from the day after publication to the end of {value} ({on})."
    elif when == "earlier this":
        latest = published - timedelta(days=1)
        basis = f"Earlier this {unit}: from the start of {value} to the day before publication ({on})."
    else:
        basis = f"{when.capitalize()} {unit}: {value} ({on})."
    if earliest > latest:
        raise ValueError(f"{phrase!r} is an empty period: the article was published on the edge of {value}")
    return value, unit, earliest, latest, basis
