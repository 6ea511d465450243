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
