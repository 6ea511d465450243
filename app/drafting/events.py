"""Events in an article, for ``article-facts new``: a sentence that names a meeting, visit, trip, news conference,
vote, study, war, anniversary, sanctions decision or announcement is drafted as one event of that type, dated by
the date phrase of its sentence, with the registry's entities mentioned in it as participants (a place after
"in", "to" or "at" as its location). The rules are listed for curators in seeds/README.md ("Drafted events").
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from datetime import timedelta

from . import when

# The words that name an event, by type; the first type whose word a sentence holds wins (a "news conference" is
# not a "meeting"; "launched a full-scale invasion" is the war, not an announcement).
TRIGGERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(rf"\b(?:{words})\b", re.IGNORECASE))
    for kind, words in (
        ("press_conference", r"news conference|press conference|briefing"),
        ("anniversary", r"anniversary"),
        ("vote", r"votes?|voted|abstained|referendum|elections?"),
        ("meeting", r"meetings?|meets?|met|talks|summit|summits"),
        ("visit", r"visits?|visited|visiting"),
        ("trip", r"trips?|travel(?:s|led|ed)?|tour"),
        ("study", r"study|studies|survey|report found"),
        ("war", r"war|invasion|invaded|invade"),
        ("sanctions_decision", r"sanctions"),
        ("announcement", r"announced|announces|announcement|unveiled|signing|signed|awarded|held"),
    )
)
# Types a text names again and again without a date of its own (the war, the sanctions): one event each.
ONGOING = {"war", "sanctions_decision"}
PARTICIPANT_TYPES = ("person", "country", "organization", "group")


@dataclass
class DraftEvent:
    type: str
    evidence: list[tuple[int, int]]  # from the word that names it to the end of its clause
    date: when.DatePhrase | None
    planned: bool
    participants: list[str] = field(default_factory=list)
    location: str | None = None
    # With no date phrase of its own: the days it may lie in, and why (see ``_undated``).
    earliest: dt.date | None = None
    latest: dt.date | None = None
    basis: str = ""


def find_events(
    text: str,
    sentence_spans: list[tuple[int, int]],
    lo: int,
    hi: int,
    phrases: list[when.DatePhrase],
    mentions: list[tuple[int, int, str]],
    types: dict[str, str],
    publisher: str,
    published: dt.date,
) -> list[DraftEvent]:
    """The events of ``text[lo:hi]`` in reading order. A sentence gives one event per type it names (a word inside
    another's clause belongs to that one), and another of the same type only for a word with a date phrase of its
    own; the war or the sanctions named again without a date of their own are the same event."""
    found: list[DraftEvent] = []
    ongoing: dict[str, DraftEvent] = {}
    for s0, s1 in sentence_spans:
        if not (lo <= s0 < hi):
            continue
        words = _words(text, (s0, s1))
        dated = _dates(phrases, (s0, s1), words)
        kinds: set[str] = set()
        for (kind, span), phrase in zip(words, dated, strict=True):
            if kind in ONGOING and phrase is not None and phrase.about is None and not _inside(phrase.start, [span]):
                phrase = None  # "on Tuesday ... the Ukraine war": not when the war was
            if kind in kinds and phrase is None:
                continue
            kinds.add(kind)
            event = ongoing.get(kind) if kind in ONGOING else None
            if event is not None:
                event.evidence.append(span)
                event.date = event.date or phrase
            else:
                event = DraftEvent(kind, [span], phrase, _planned(text, (s0, s1), phrase, published))
                found.append(event)
                if kind in ONGOING:
                    ongoing[kind] = event
            # Who: named before it in its sentence or in its clause (in its clause only, for one named again).
            start = s0 if len(event.evidence) == 1 else span[0]
            _add_participants(event, text, (start, span[1]), mentions, types, publisher)
    for event in found:
        if event.date is None:
            _undated(event, phrases, published)
    return found


def _words(text: str, sentence: tuple[int, int]) -> list[tuple[str, tuple[int, int]]]:
    """The words naming an event in a sentence, with their clauses, in reading order; a word in quotation marks,
    or inside the clause of one of a type tried before it (``TRIGGERS``' order), is not one."""
    taken: list[tuple[str, tuple[int, int]]] = []
    quoted = [m.span() for m in re.finditer(r"“[^”]*”|\"[^\"]*\"", text[: sentence[1]]) if m.end() > sentence[0]]
    for kind, pattern in TRIGGERS:
        for m in pattern.finditer(text, *sentence):
            if not _inside(m.start(), [span for _, span in taken] + quoted):  # quoted words are the speaker's
                taken.append((kind, (m.start(), when.clause_end(text, m.end(), sentence[1]))))
    return sorted(taken, key=lambda t: t[1])


def _dates(
    phrases: list[when.DatePhrase], sentence: tuple[int, int], words: list[tuple[str, tuple[int, int]]]
) -> list[when.DatePhrase | None]:
    """Each word's date phrase: one that names what holds the word ("days after the anniversary"), else of the
    phrases of its sentence that date no named thing, one nearer to this word than to any other."""
    inside = [p for p in phrases if sentence[0] <= p.start < sentence[1]]
    nearest: dict[int, when.DatePhrase] = {}
    for p in (p for p in inside if p.about is None and words):
        gaps = [max(p.start - span[1], span[0] - p.end, 0) for _, span in words]
        i = gaps.index(min(gaps))
        if i not in nearest or gaps[i] < max(nearest[i].start - words[i][1][1], words[i][1][0] - nearest[i].end, 0):
            nearest[i] = p
    result: list[when.DatePhrase | None] = []
    for i, (_, span) in enumerate(words):
        naming = [p for p in inside if p.about is not None and p.about[0] <= span[0] < p.about[1]]
        result.append(naming[0] if naming else nearest.get(i))
    return result


def _undated(event: DraftEvent, phrases: list[when.DatePhrase], published: dt.date) -> None:
    """An event with no date phrase: a planned one after publication; one that occurred, on or after the last day
    the article named before it (the story's day so far, as for a bare "later") and by publication; the war or
    the sanctions, or one with no day named before it, by publication."""
    if event.planned:
        event.earliest, event.basis = published + timedelta(days=1), "Planned, with no date phrase: after publication."
        return
    before = [
        p.earliest
        for p in phrases
        if p.start < event.evidence[0][0] and p.precision == "day" and p.earliest and p.about is None
    ]
    before = [day for day in before if day <= published]
    event.latest = published
    if before and event.type not in ONGOING:
        event.earliest = before[-1]
        event.basis = f"No date phrase: the last day the article named before it ({before[-1]}), or later."
    else:
        event.basis = "No date phrase: by publication."


def _planned(text: str, sentence: tuple[int, int], phrase: when.DatePhrase | None, published: dt.date) -> bool:
    """Planned when its date is all after publication; occurred when it is all before; else as its sentence
    speaks ("will", "is expected to"...)."""
    if phrase is not None and phrase.earliest is not None and phrase.earliest > published:
        return True
    if phrase is not None and phrase.latest <= published:
        return False
    return when.FUTURE.search(text, *sentence) is not None


def _inside(at: int, spans: list[tuple[int, int]]) -> bool:
    return any(lo <= at < hi for lo, hi in spans)


def _add_participants(
    event: DraftEvent,
    text: str,
    where: tuple[int, int],
    mentions: list[tuple[int, int, str]],
    types: dict[str, str],
    publisher: str,
) -> None:
    """The registry entities named from the sentence's start to the end of the event's clause."""
    for s, _, entity_id in mentions:
        if not (where[0] <= s < where[1]) or entity_id == publisher:
            continue
        kind = types.get(entity_id)
        at = re.search(r"\b(?:in|to|at)\s+$", text[where[0] : s]) is not None
        if kind == "place" or (kind == "country" and at):
            event.location = event.location or entity_id
        if kind in PARTICIPANT_TYPES and entity_id not in event.participants:
            event.participants.append(entity_id)
