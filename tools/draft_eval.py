"""How close ``article-facts new`` gets to what curators wrote: recall and precision of its drafts against curated
articles, per kind (money amounts, direct and partial quotes, date phrases, registry-entity mentions).

    python -m tools.draft_eval seeds tests/seeds

Each article's text is drafted afresh with the registry of its seed folder, its publication day and publisher,
and compared with the compiled curated facts (spans are code-point offsets into the same text):

- money: a drafted amount is right when its span, currency and minor units equal a curated pledge amount's;
- quotes: the curated direct and partial quotes; a drafted quote is right when its span is the curated one;
  among those, how many got the speaker and the kind right;
- dates: the curated date phrases (the ``text`` of a fact's date); a drafted phrase is resolved right when it has
  the same span and the same value, precision and bounds as the curated date (or, when curators knew better,
  e.g. "last week" as one day, when the curated days lie inside the drafted ones: reported apart);
- mentions: the curated mentions of registry entities; a drafted one is right when span and entity agree.
"""

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from app import dates
from app.drafting import Draft, draft
from app.drafting.write import anchors_of, date_of, event_date, ids_in, registry_of
from app.evidence import fold
from app.models import Article, Event, EventParticipant, Evidence, Mention, Pledge, Quote
from app.seeds import compile_seeds
from app.seeds.lines import read_mapping

DATE_ROLES = {"said_on", "date", "announced_on"}


@dataclass
class Score:
    curated: int = 0
    drafted: int = 0
    right: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, curated: set[Any], drafted: set[Any]) -> set[Any]:
        self.curated += len(curated)
        self.drafted += len(drafted)
        self.right += len(curated & drafted)
        return curated & drafted

    def figures(self) -> str:
        recall = self.right / self.curated if self.curated else 1.0
        precision = self.right / self.drafted if self.drafted else 1.0
        return f"{self.right}/{self.curated} recall {recall:.0%}, {self.right}/{self.drafted} precision {precision:.0%}"


@dataclass
class Scores:
    money: Score = field(default_factory=Score)
    quotes: Score = field(default_factory=Score)
    speakers: Score = field(default_factory=Score)
    kinds: Score = field(default_factory=Score)
    dates: Score = field(default_factory=Score)
    dates_consistent: Score = field(default_factory=Score)
    mentions: Score = field(default_factory=Score)
    events: Score = field(default_factory=Score)
    event_types: Score = field(default_factory=Score)
    event_dates: Score = field(default_factory=Score)
    event_dates_consistent: Score = field(default_factory=Score)
    event_participants: Score = field(default_factory=Score)
    overridden: Score = field(default_factory=Score)  # curated mentions by override only: not a name match


def drafts_of(root: Path) -> tuple[list[Any], dict[str, Draft]]:
    """The curated rows of ``root`` and a fresh draft of each of its articles."""
    dataset = compile_seeds(root)
    registry = registry_of(root)
    drafts = {}
    for article in (r for r in dataset.rows if isinstance(r, Article)):
        taken = ids_in(root) - ids_in(root / "articles" / article.id)  # as if the article were new
        raw = (root / "articles" / article.id / "article.txt").read_text(encoding="utf-8")
        published = date.fromisoformat(article.published_on["value"])
        anchors = anchors_of(dataset.rows, article.id)  # the other articles' events only, as if it were new
        drafts[article.id] = draft(raw, article.id, published, registry, article.publisher_id, taken, anchors)
    return dataset.rows, drafts


def score(root: Path, scores: Scores) -> None:
    rows, drafts = drafts_of(root)
    registry = registry_of(root)
    evidence: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for row in rows:
        if isinstance(row, Evidence):
            evidence[(row.subject_type, row.subject_id)].append(row)
    for article_id, d in drafts.items():
        facts = [r for r in rows if getattr(r, "article_id", None) == article_id]
        pledges = [r for r in facts if isinstance(r, Pledge) and r.amount_minor is not None]
        money = {
            (e.start, e.end, p.currency, p.amount_minor)
            for p in pledges
            for e in evidence[("pledge", p.id)]
            if e.role == "amount"
        }
        scores.money.add(
            money, {(a.amount.start, a.amount.end, a.amount.currency, a.amount.amount_minor) for a in d.pledges}
        )

        quotes = [r for r in facts if isinstance(r, Quote) and r.kind in ("direct", "partial")]
        curated_quotes = {(e.start, e.end): q for q in quotes for e in evidence[("quote", q.id)] if e.role == "text"}
        drafted_quotes = {(q.quote.start, q.quote.end): q for q in d.quotes}
        matched = scores.quotes.add(set(curated_quotes), set(drafted_quotes))
        for span in sorted(matched):
            if curated_quotes[span].speaker_id != drafted_quotes[span].speaker:
                scores.speakers.notes.append(
                    f"{article_id}: {d.text.text[span[0] : span[1]][:30]!r}… curated "
                    f"{curated_quotes[span].speaker_id}, drafted {drafted_quotes[span].speaker}"
                )
        scores.speakers.add(
            {(s, curated_quotes[s].speaker_id) for s in matched}, {(s, drafted_quotes[s].speaker) for s in matched}
        )
        scores.kinds.add(
            {(s, curated_quotes[s].kind) for s in matched},
            {(s, "direct" if drafted_quotes[s].quote.direct else "partial") for s in matched},
        )

        curated_dates: dict[tuple[int, int], tuple[Any, ...]] = {}
        for fact in facts:
            if not isinstance(fact, Quote | Pledge | Event):
                continue
            kind = {Quote: "quote", Pledge: "pledge", Event: "event"}[type(fact)]
            column = {"quote": "said_on", "pledge": "announced_on", "event": "date"}[kind]
            value = getattr(fact, column)
            for e in evidence[(kind, fact.id)]:
                if e.role in DATE_ROLES:
                    earliest, latest = getattr(fact, f"{column}_earliest"), getattr(fact, f"{column}_latest")
                    curated_dates[(e.start, e.end)] = (value["value"], value["precision"], earliest, latest)
        drafted_dates = {(p.start, p.end): (p.value, p.precision, p.earliest or date.min, p.latest) for p in d.dates}
        scores.dates.add(
            {(span, v[:2]) for span, v in curated_dates.items()}, {(span, v[:2]) for span, v in drafted_dates.items()}
        )
        consistent = {
            span
            for span, (_, _, lo, hi) in curated_dates.items()
            if span in drafted_dates and drafted_dates[span][2] <= lo and hi <= drafted_dates[span][3]
        }
        scores.dates_consistent.add(set(curated_dates), consistent | (set(drafted_dates) - set(curated_dates)))
        for span in set(curated_dates) - set(drafted_dates):
            scores.dates.notes.append(f"{article_id}: missed {d.text.text[span[0] : span[1]]!r}")
        for span in set(curated_dates) & set(drafted_dates):
            if curated_dates[span][:2] != drafted_dates[span][:2]:
                scores.dates.notes.append(
                    f"{article_id}: {d.text.text[span[0] : span[1]]!r} curated {curated_dates[span][:2]}, "
                    f"drafted {drafted_dates[span][:2]}"
                )

        participants = defaultdict(list)
        for row in rows:
            if isinstance(row, EventParticipant):
                participants[row.event_id].append(row.entity_id)
        score_events(d, [f for f in facts if isinstance(f, Event)], evidence, participants, scores)

        # Curated mentions of registry entities by one of their names or aliases: what a draft can find. The rest
        # are curators' overrides ("the capital" is Astana; this "Moscow" is the Russian state), counted apart, and
        # a drafted mention of a span curators overrode is not counted against the draft.
        by_name = {
            (m.start, m.end, m.entity_id)
            for m in facts
            if isinstance(m, Mention)
            and m.entity_id in registry
            and fold(m.text) in {fold(n) for n in (registry[m.entity_id].name, *registry[m.entity_id].aliases)}
        }
        overridden = overridden_spans(root, article_id, d)
        scores.overridden.curated += sum(
            isinstance(m, Mention) and m.entity_id in registry and (m.start, m.end, m.entity_id) not in by_name
            for m in facts
        )
        overridden |= {(m.start, m.end) for m in facts if isinstance(m, Mention) and m.entity_id not in registry}

        curated_mentions = {m for m in by_name if not settled(m[0], m[1], overridden)}
        drafted_mentions = {
            (lo, hi, eid) for lo, hi, eid in d.mentions if eid in registry and not settled(lo, hi, overridden)
        }
        scores.mentions.add(curated_mentions, drafted_mentions)
        for lo, hi, eid in sorted(curated_mentions - drafted_mentions):
            scores.mentions.notes.append(f"{article_id}: missed {d.text.text[lo:hi]!r} ({eid})")
        for lo, hi, eid in sorted(drafted_mentions - curated_mentions):
            scores.mentions.notes.append(f"{article_id}: extra {d.text.text[lo:hi]!r} ({eid})")


def score_events(
    d: Draft,
    curated: list[Event],
    evidence: dict[tuple[str, str], list[Evidence]],
    participants: dict[str, list[str]],
    scores: Scores,
) -> None:
    """A drafted event is found when one of its evidence spans overlaps one of a curated event's (its evidence or
    date text), each matched once, the largest overlap first; among those found: the same type, the same date
    value and precision, and the participants (entity ids) in common."""
    spans = {e.id: [(r.start, r.end) for r in evidence[("event", e.id)]] for e in curated}
    overlap = sorted(
        (
            (-max(min(b, d1) - max(a, d0) for a, b in spans[c.id] for d0, d1 in drafted.evidence), i, c.id)
            for i, drafted in enumerate(d.events)
            for c in curated
        ),
    )
    matched: dict[int, Event] = {}
    by_id = {e.id: e for e in curated}
    for size, i, event_id in overlap:
        if size < 0 and i not in matched and event_id not in {e.id for e in matched.values()}:
            matched[i] = by_id[event_id]
    scores.events.curated += len(curated)
    scores.events.drafted += len(d.events)
    scores.events.right += len(matched)
    for event in curated:
        if event not in matched.values():
            scores.events.notes.append(f"{d.article_id}: missed {event.id} ({event.type})")
    for i, drafted in enumerate(d.events):
        words = d.text.text[drafted.evidence[0][0] : drafted.evidence[0][1]][:50]
        if i not in matched:
            scores.events.notes.append(f"{d.article_id}: extra {drafted.type} {words!r}")
            continue
        event = matched[i]
        scores.event_types.add({(i, event.type)}, {(i, drafted.type)})
        written = date_of(d, drafted.date) if drafted.date else event_date(drafted)
        value = (written["value"], written.get("precision"))
        curated_value = (event.date["value"], event.date["precision"])
        scores.event_dates.add({(i, *curated_value)}, {(i, *value)})
        lo, hi = bounds(written)
        inside = lo <= event.date_earliest and event.date_latest <= hi
        scores.event_dates_consistent.add({i}, {i if inside else -1})
        if (event.type, curated_value) != (drafted.type, value):
            scores.event_types.notes.append(
                f"{d.article_id}: {words!r} is {event.id}: curated {event.type} {curated_value}, "
                f"drafted {drafted.type} {value}"
            )
        scores.event_participants.add({(i, p) for p in participants[event.id]}, {(i, p) for p in drafted.participants})


def bounds(written: dict[str, Any]) -> tuple[date, date]:
    """The days a drafted seed date allows (as the loader reads them: its period unless narrowed)."""
    first, last = dates.period(written["value"], written["precision"]) if written["value"] else (date.min, date.max)
    earliest, latest = written.get("earliest"), written.get("latest")
    return (date.fromisoformat(earliest) if earliest else first, date.fromisoformat(latest) if latest else last)


def settled(start: int, end: int, spans: set[tuple[int, int]]) -> bool:
    return any(lo <= start and end <= hi for lo, hi in spans)


def overridden_spans(root: Path, article_id: str, d: Draft) -> set[tuple[int, int]]:
    """Spans the curated article settles with a mention override (to another entity, or to none); the spans of
    its local entities' mentions are added by the caller."""
    article = read_mapping(root / "articles" / article_id / "article.yaml")
    spans = set()
    for override in article.get("mentions", []):
        span = d.text.find(override["text"], override.get("prefix", ""), override.get("suffix", ""))
        spans.add((span.start, span.end))
    return spans


def main(argv: list[str]) -> int:
    for folder in argv or ["seeds", "tests/seeds"]:
        scores = Scores()
        score(Path(folder), scores)
        print(f"## {folder}")
        for name, value in vars(scores).items():
            print(f"- {name}: {value.figures()}")
            for note in value.notes:
                print(f"    {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
