"""Pieces of an article: its text being written (code-point spans of what is appended) and dates as the
loader stores them."""

import json
from datetime import date, timedelta
from functools import lru_cache

from app.models import DatePrecision

OPEN_EARLIEST, OPEN_LATEST = date.min.isoformat(), date.max.isoformat()  # how the loader stores open bounds


@lru_cache(maxsize=1 << 16)  # a few variants per publication day: most quotes share one
def _date_object(
    value: str | None,
    precision: DatePrecision | None,
    earliest: date | None,
    latest: date | None,
    text: str | None,
    basis: str,
) -> tuple[str, str, str]:
    """A date as the loader stores it: the JSON object, then its earliest and latest columns (open bounds filled)."""
    obj = {
        "value": value,
        "precision": precision,
        "earliest": earliest.isoformat() if earliest else None,
        "latest": latest.isoformat() if latest else None,
        "text": text,
        "inferred": True,
        "basis": basis,
    }
    return (
        json.dumps(obj),
        earliest.isoformat() if earliest else OPEN_EARLIEST,
        latest.isoformat() if latest else OPEN_LATEST,
    )


def _week(day: date) -> tuple[str, date, date]:
    year, week, weekday = day.isocalendar()
    monday = day - timedelta(days=weekday - 1)
    return f"{year}-W{week:02d}", monday, monday + timedelta(days=6)


class _Text:
    """An article's text being written: ``add`` appends and returns the code-point span of what it appended,
    recording a mention when the piece is an entity's name. Span texts are read from the finished text, so
    every evidence span and mention equals its slice by construction."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.mentions: list[tuple[str, int, int]] = []  # entity id, start, end

    def add(self, piece: str, entity: str | None = None) -> tuple[int, int]:
        start = self.length
        self.parts.append(piece)
        self.length += len(piece)
        if entity is not None:
            self.mentions.append((entity, start, self.length))
        return start, self.length

    def value(self) -> str:
        return "".join(self.parts)
