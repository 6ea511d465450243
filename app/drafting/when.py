"""Date phrases in an article and the days each may mean, for ``article-facts new`` (the rules are listed for
curators in seeds/README.md, "Drafted dates"). Four kinds, resolved in this order:

0. Written out: "24 February 2022", "Feb. 24", "in February 2022", "in 2022" (a day with no year: the latest such
   day by publication, the next one in a sentence about the future).
1. Relative to the publication day: the loader's own rules (``app.dates.relative``: "on Tuesday", "last week",
   "later this year"...), "in <month>" in a sentence about the future as the next such month, and "<N> <units>
   ago".
2. Relative to a reference day, the day a phrase before it in its sentence names, else the publication day:
   "<N> <units> since|after|before X" and "<units> after|before X" say when X was, counted from that day; when X
   is known (a day written out in it, or an event another article records that it names, an ``Anchor``), and
   that day is among the counted ones, it is that day ("the anniversary of X": that day's anniversary).
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
from app.evidence import fold

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
_MONTH = "|".join([*dates.MONTHS, "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sept", "Sep", "Oct", "Nov", "Dec"])
# "24 February 2022", "Feb. 24, 2022", "on 3 March", "in February 2022", "in 2022": a date the text writes out.
ABSOLUTE = re.compile(
    rf"\b(?:(?P<d1>\d{{1,2}}) (?P<m1>{_MONTH})\.?(?:,? (?P<y1>\d{{4}}))?|(?P<m2>{_MONTH})\.? (?P<d2>\d{{1,2}})"
    rf"(?:st|nd|rd|th)?(?:,? (?P<y2>\d{{4}}))?|(?P<m3>{_MONTH}) (?P<y3>\d{{4}})|(?<=\bin )(?P<y4>(?:19|20)\d\d))\b"
)
ANNIVERSARY = re.compile(r"(?:the |its |their |a )?(?:\w+ )?anniversary of (?P<what>.+)", re.IGNORECASE)
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


@dataclass(frozen=True)
class Anchor:
    """A day the corpus already knows an event by (another article's curated event): what "one year since X"
    counts from when X names it."""

    id: str
    names: tuple[str, ...]  # its title and evidence texts
    day: date


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
    text: str,
    sentence_spans: list[tuple[int, int]],
    lo: int,
    hi: int,
    published: date,
    anchors: tuple[Anchor, ...] = (),
) -> list[DatePhrase]:
    """Each date phrase of ``text[lo:hi]`` resolved by the rules above, in reading order; ``anchors``: the
    corpus's dated events, which "since X", "after X" and "the anniversary of X" may count from."""
    on = f"published {published:%a} {published}"
    found: dict[int, DatePhrase] = {}
    for m in ABSOLUTE.finditer(text, lo, hi):
        written = _absolute(m, published, FUTURE.search(text, *_enclosing(sentence_spans, m.start())))
        if written is not None:
            found[m.start()] = written
    for m in RELATIVE.finditer(text, lo, hi):
        if _taken(found, m):
            continue
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
    for m in COUNTED.finditer(text, lo, hi):
        n, unit, rel = _count(m["n"]), m["unit"].lower(), m["rel"].lower()
        if rel == "ago" or _taken(found, m):
            continue
        day, why = _reference(found, _enclosing(sentence_spans, m.start()), m.start(), published)
        if rel == "since":  # n whole units have passed, not yet n + 1
            first, last = shift(day, unit, -n - 1) + timedelta(days=1), shift(day, unit, -n)
            basis = f"{m[0]!r}: what follows it began {n} {unit}(s) before {why}, not {n + 1}."
        else:  # "two days after X": X is that period counted back (forward for "before") from the day
            first, last = dates.period(dates.value_of(shift(day, unit, -n if rel == "after" else n), unit), unit)
            basis = f"{m[0]!r}: what follows it was {n} {unit}(s) {'before' if rel == 'after' else 'after'} {why}."
        s0, s1 = _enclosing(sentence_spans, m.start())
        about = (m.end() + 1, clause_end(text, m.end(), s1))
        first, last, basis = _anchored(text, about, found, anchors, (first, last, basis))
        found[m.start()] = _phrase(m.start(), m.end(), first, last, basis, about)
    for m in FEW.finditer(text, lo, hi):
        if _taken(found, m):
            continue
        unit, rel = m["unit"].lower(), m["rel"].lower()
        day, why = _reference(found, _enclosing(sentence_spans, m.start()), m.start(), published)
        least, most = FEW_UNITS[unit]
        sign = -1 if rel == "after" else 1
        first, last = sorted((shift(day, unit, sign * least), shift(day, unit, sign * most)))
        end = m.end("what")
        basis = (
            f"{unit.capitalize()}s {rel} {m['what'].strip()!r}: that was {least} to {most} {unit}s "
            f"{'before' if rel == 'after' else 'after'} {why}."
        )
        first, last, basis = _anchored(text, (m.start("what"), end), found, anchors, (first, last, basis))
        found[m.start()] = _phrase(m.start(), end, first, last, basis, (m.start("what"), end))
    for m in LATER.finditer(text, lo, hi):
        s0, s1 = _enclosing(sentence_spans, m.start())
        if _taken(found, m) or FUTURE.search(text, s0, s1):
            continue
        # The story's days: not a phrase that dates a thing it names ("one year since the invasion").
        named = [p for at, p in sorted(found.items()) if at < m.start() and p.precision == "day" and p.about is None]
        days = [p.earliest for p in named if p.earliest is not None and p.earliest <= published]
        if days:
            basis = f"Later than the day the article named before it ({days[-1]}), by publication ({on})."
            found[m.start()] = _phrase(m.start(), m.end(), days[-1], published, basis)
    return [found[start] for start in sorted(found)]


def _absolute(m: re.Match[str], published: date, future: object) -> DatePhrase | None:
    """A date written out; a day with no year is the latest such day by publication (the next one, in a
    sentence about the future)."""
    month_name = m["m1"] or m["m2"] or m["m3"]
    month = next((i + 1 for i, name in enumerate(dates.MONTHS) if month_name and name.startswith(month_name)), 0)
    year_text = m["y1"] or m["y2"] or m["y3"] or m["y4"]
    if m["y4"]:
        first, last = dates.period(m["y4"], "year")
        return _phrase(m.start(), m.end(), first, last, f"The year {m['y4']}, as written.")
    if m["m3"]:
        first, last = dates.period(f"{m['y3']}-{month:02d}", "month")
        return _phrase(m.start(), m.end(), first, last, f"{first:%B %Y}, as written.")
    day_number = int(m["d1"] or m["d2"])
    year = int(year_text) if year_text else published.year
    try:
        day = date(year, month, day_number)
        if not year_text and (day > published) != bool(future):
            day = date(year + (1 if future else -1), month, day_number)
    except ValueError:  # "31 February", or 29 February in another year: not a date to draft
        return None
    basis = "As written." if year_text else f"{day:%d %B} with no year: the {'next' if future else 'latest'} one."
    return _phrase(m.start(), m.end(), day, day, basis)


def _anchored(
    text: str,
    about: tuple[int, int],
    found: dict[int, DatePhrase],
    anchors: tuple[Anchor, ...],
    counted: tuple[date, date, str],
) -> tuple[date, date, str]:
    """``counted`` (the days X may have been, and why), narrowed to one day when X is known: a day written out in
    X, or one of ``anchors`` that X names; "the anniversary of X" is the anniversary of that day among the days
    counted. Kept as it is when the known day is not among them (then the text or the anchor is another X)."""
    first, last, basis = counted
    what = text[about[0] : about[1]]
    anniversary = ANNIVERSARY.match(what)
    inner = (about[0] + anniversary.start("what"), about[1]) if anniversary else about
    known = _known_day(text, inner, found, anchors)
    if known is None:
        return counted
    day, source = known
    if anniversary:
        days = [day.replace(year=y) for y in range(first.year, last.year + 1) if (day.month, day.day) != (2, 29)]
        day = next((d for d in days if first <= d <= last), date.min)
        source = f"the anniversary of {source}"
    if not first <= day <= last:
        return counted
    return day, day, f"{basis.rstrip('.')}; {source}."


def _known_day(
    text: str, span: tuple[int, int], found: dict[int, DatePhrase], anchors: tuple[Anchor, ...]
) -> tuple[date, str] | None:
    """The day X is known by: a day written out inside it, else the one anchor X names (a name of two words or
    more that X holds, or X's own words, without "the", inside a name)."""
    for p in found.values():
        if span[0] <= p.start < span[1] and p.precision == "day" and p.earliest is not None:
            return p.earliest, f"{p.earliest}, written in the text"
    what = fold(text[span[0] : span[1]]).strip().lower()
    head = re.sub(r"^(?:the|a|an|its|their|his|her) ", "", what)
    named = {
        a
        for a in anchors
        for name in (fold(n).lower() for n in a.names)
        if (len(name.split()) >= 2 and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", what))
        or (head and len(head.split()) <= 3 and re.search(rf"(?<!\w){re.escape(head)}(?!\w)", name))
    }
    if len(named) != 1:
        return None  # none, or more than one: not for a draft to choose
    (anchor,) = named
    return anchor.day, f"{anchor.day}, the day of {anchor.id} (recorded in another article)"


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


def _reference(found: dict[int, DatePhrase], sentence: tuple[int, int], at: int, published: date) -> tuple[date, str]:
    """The day a phrase at ``at`` counts from: the day a phrase before it in its sentence names ("On Monday, days
    after the summit"), else the publication day."""
    for p in found.values():
        if sentence[0] <= p.start < at and p.precision == "day" and p.earliest is not None:
            return p.earliest, f"{p.earliest} (the day its sentence names before it)"
    return published, f"publication ({published:%a} {published})"
