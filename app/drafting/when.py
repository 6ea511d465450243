"""Date phrases in an article and the days each may mean, for ``article-facts new`` (the rules are listed for
curators in seeds/README.md, "Drafted dates"). Three kinds, resolved in this order:

1. Relative to the publication day: the loader's own rules (``app.dates.relative``: "on Tuesday", "last week",
   "later this year"...), "in <month>" in a sentence about the future as the next such month, and "<N> <units>
   ago".
2. Relative to a reference day, the day a phrase of kind 1 names in the same sentence, else the publication day:
   "<N> <units> since|after|before X" and "<units> after|before X" say when X was, counted from that day.
3. Relative to the story: a bare "later" in a sentence about the past is after the last day the article named
   before it, and by the publication day.

A phrase is resolved to the days it may mean (``earliest``, ``latest``) and, when those fit in one day, week,
month or year, to that period as its value; wider ones have no value (like "recently"), only their bounds.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from app import dates

_WEEKDAYS = "|".join(d.capitalize() for d in dates.WEEKDAYS)
_MONTHS = "|".join(dates.MONTHS)
RELATIVE = re.compile(
    rf"\b(?:(?:on|last) (?:{_WEEKDAYS})|(?:earlier|later) this (?:week|month|year)|later in the week"
    rf"|(?:this|last|next) (?:week|month|year)|in (?:{_MONTHS})(?! \d)|yesterday|today|tomorrow|recent(?:ly)?)\b",
    re.IGNORECASE,
)
NUMBERS = ("a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
_NUMBER = r"\d{1,3}|" + "|".join(NUMBERS)
# "two weeks ago", "one year since", "three days after": a count of units from the reference day.
COUNTED = re.compile(
    rf"\b(?P<n>{_NUMBER}) (?P<unit>day|week|month|year)s? (?P<rel>ago|since|after|before)\b", re.IGNORECASE
)
# "Days after the anniversary of the invasion", "weeks before the vote": a few units, up to the clause's end.
FEW = re.compile(
    r"\b(?:(?:a few|several|some) )?(?P<unit>day|week|month|year)s (?P<rel>after|before) "
    r"(?P<what>(?:the|a|an|his|her|its|their) [^,.;:!?—–]+)",
    re.IGNORECASE,
)
# A bare "later" ("Blinken later headed to the palace"), not "later this week", "years later" or "a later date".
LATER = re.compile(
    r"(?<!\ba )(?<!days )(?<!weeks )(?<!months )(?<!years )\blater\b(?! (?:this|in|that|on|than|date)\b)",
    re.IGNORECASE,
)
FUTURE = re.compile(r"\b(?:will|would|shall|plans?|planned|expected|is to|are to|due|scheduled|next)\b")
# How many units "a few" (a plural with no number) means: at least two, and fewer than the next larger unit.
FEW_UNITS = {"day": (2, 13), "week": (2, 8), "month": (2, 11), "year": (2, 9)}


@dataclass(frozen=True)
class DatePhrase:
    start: int
    end: int
    value: str | None
    precision: str | None
    earliest: date | None
    latest: date
    basis: str
    about: tuple[int, int] | None = None  # what it dates when that is named after it ("one year since X"): X


def shift(day: date, unit: str, n: int) -> date:
    """``day`` moved by ``n`` units (a month or year ahead of the 31st lands on the month's last day)."""
    if unit in ("day", "week"):
        return day + timedelta(days=n * (7 if unit == "week" else 1))
    months = day.year * 12 + day.month - 1 + n * (12 if unit == "year" else 1)
    year, month = divmod(months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def period_of(earliest: date, latest: date) -> tuple[str | None, str | None]:
    """The smallest day, ISO week, month or year holding both days; (None, None) when none does."""
    for precision in dates.PRECISIONS:
        value = dates.value_of(earliest, precision)
        if value == dates.value_of(latest, precision):
            return value, precision
    return None, None


def _phrase(
    start: int, end: int, earliest: date, latest: date, basis: str, about: tuple[int, int] | None = None
) -> DatePhrase:
    value, precision = period_of(earliest, latest)
    return DatePhrase(start, end, value, precision, earliest, latest, basis, about)


def _count(word: str) -> int:
    word = word.lower()
    return int(word) if word.isdigit() else max(1, NUMBERS.index(word) - 1)  # "a", "an" and "one" are 1


def date_phrases(
    text: str, sentence_spans: list[tuple[int, int]], lo: int, hi: int, published: date
) -> list[DatePhrase]:
    """Each date phrase of ``text[lo:hi]`` resolved by the rules above, in reading order."""
    on = f"published {published:%a} {published}"
    found: dict[int, DatePhrase] = {}
    for m in RELATIVE.finditer(text, lo, hi):
        value, precision, earliest, latest, basis = dates.relative(m[0], published)
        s0, s1 = _enclosing(sentence_spans, m.start())
        if m[0].lower().startswith("in ") and FUTURE.search(text, s0, s1):
            number = dates.MONTHS.index(m[0][3:].strip().capitalize()) + 1
            year = published.year if number > published.month else published.year + 1
            value, precision = f"{year}-{number:02d}", "month"
            earliest, latest = dates.period(value, "month")
            basis = f"The first {earliest:%B} after publication ({on}): its sentence speaks of the future."
        found[m.start()] = DatePhrase(m.start(), m.end(), value, precision, earliest, latest, basis)
    for m in COUNTED.finditer(text, lo, hi):
        n, unit, rel = _count(m["n"]), m["unit"].lower(), m["rel"].lower()
        if rel == "ago" and not _taken(found, m):
            first, last = dates.period(dates.value_of(shift(published, unit, -n), unit), unit)
            found[m.start()] = _phrase(m.start(), m.end(), first, last, f"{m[0]}: the {unit} {n} before ({on}).")
    reference = {s: _reference(found, s, published) for s in sentence_spans}
    for m in COUNTED.finditer(text, lo, hi):
        n, unit, rel = _count(m["n"]), m["unit"].lower(), m["rel"].lower()
        if rel == "ago" or _taken(found, m):
            continue
        day, why = reference[_enclosing(sentence_spans, m.start())]
        if rel == "since":  # n whole units have passed, not yet n + 1
            first, last = shift(day, unit, -n - 1) + timedelta(days=1), shift(day, unit, -n)
            basis = f"{m[0]!r}: what follows it began {n} {unit}(s) before {why}, not {n + 1}."
        else:  # "two days after X": X is that period counted back (forward for "before") from the day
            first, last = dates.period(dates.value_of(shift(day, unit, -n if rel == "after" else n), unit), unit)
            basis = f"{m[0]!r}: what follows it was {n} {unit}(s) {'before' if rel == 'after' else 'after'} {why}."
        s0, s1 = _enclosing(sentence_spans, m.start())
        about = (m.end() + 1, clause_end(text, m.end(), s1))
        found[m.start()] = _phrase(m.start(), m.end(), first, last, basis, about)
    for m in FEW.finditer(text, lo, hi):
        if _taken(found, m):
            continue
        unit, rel = m["unit"].lower(), m["rel"].lower()
        day, why = reference[_enclosing(sentence_spans, m.start())]
        least, most = FEW_UNITS[unit]
        sign = -1 if rel == "after" else 1
        first, last = sorted((shift(day, unit, sign * least), shift(day, unit, sign * most)))
        end = m.end("what")
        basis = (
            f"{unit.capitalize()}s {rel} {m['what'].strip()!r}: that was {least} to {most} {unit}s "
            f"{'before' if rel == 'after' else 'after'} {why}."
        )
        found[m.start()] = _phrase(m.start(), end, first, last, basis, (m.start("what"), end))
    for m in LATER.finditer(text, lo, hi):
        s0, s1 = _enclosing(sentence_spans, m.start())
        if _taken(found, m) or FUTURE.search(text, s0, s1):
            continue
        named = [p for start, p in sorted(found.items()) if start < m.start() and p.precision == "day"]
        days = [p.earliest for p in named if p.earliest is not None and p.earliest <= published]
        if days:
            basis = f"Later than the day the article named before it ({days[-1]}), by publication ({on})."
            found[m.start()] = _phrase(m.start(), m.end(), days[-1], published, basis)
    return [found[start] for start in sorted(found)]


def clause_end(text: str, at: int, end: int) -> int:
    """Where the clause holding ``at`` ends: the next comma, semicolon, colon, dash, quote mark, "and that", "but
    that" or "while", or ``end``."""
    m = re.compile(r"[,;:—–“”\"]|\s-\s|\s(?:and|but) that\b|\swhile\b").search(text, at, end)
    cut = m.start() if m else end
    while cut > at and text[cut - 1] in " .!?":
        cut -= 1
    return cut


def _enclosing(spans: list[tuple[int, int]], at: int) -> tuple[int, int]:
    return next((s for s in spans if s[0] <= at < s[1]), (at, at))


def _taken(found: dict[int, DatePhrase], m: re.Match[str]) -> bool:
    return any(p.start < m.end() and m.start() < p.end for p in found.values())


def _reference(found: dict[int, DatePhrase], sentence: tuple[int, int], published: date) -> tuple[date, str]:
    """The day a sentence's other phrases count from: the day one of them names, else the publication day."""
    for p in found.values():
        if sentence[0] <= p.start < sentence[1] and p.precision == "day" and p.earliest is not None:
            return p.earliest, f"{p.earliest} (the day its sentence names)"
    return published, f"publication ({published:%a} {published})"
