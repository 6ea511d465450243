"""The rows: articles with their quotes, events and pledges, a batch at a time, then the entities with their
counts, aliases, affiliations and the dataset info."""

import hashlib
import json
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.models import EventStatus, usd_order
from app.seeds.money import usd_equivalent
from tools.synth.entities import _Entities
from tools.synth.text import _date_object, _Text, _week
from tools.synth.vocabulary import (
    CONTENT_WORDS,
    CURRENCIES,
    EVENT_TYPES,
    LANGUAGES,
    MILLIONS,
    MONTHS,
    QUOTE_KINDS,
    VOCABULARY,
    WEEKDAYS,
    WORD_CUM,
)

QUOTES_PER_ARTICLE = 20
FIRST_DAY = date(2015, 1, 1)
DAYS = 3650
BATCH = 50_000  # quotes (with everything attached to them) per executemany round


Rows = dict[str, list[tuple[Any, ...]]]


def rows(quotes: int, seed: int, version: str) -> Iterator[Rows]:
    """Every row, table by table: batches of articles with all their facts, then the entities and dataset info
    (entity counts are known only once every article is written)."""
    generator = _Generator(random.Random(seed), quotes)
    yield from generator.batches()
    yield generator.final_rows(version)


class _Generator(_Entities):
    def __init__(self, rng: random.Random, quotes: int) -> None:
        self.articles = math.ceil(quotes / QUOTES_PER_ARTICLE)
        self.quote_count: Counter[str] = Counter()
        self.mention_count: Counter[str] = Counter()
        self.pledge_count: Counter[str] = Counter()
        self.event_count: Counter[str] = Counter()
        self.totals: Counter[str] = Counter()
        super().__init__(rng, quotes)  # the entities: the seed's first draws, as before any article

    # Text ------------------------------------------------------------------------------------------------------

    def words(self, low: int, high: int) -> list[str]:
        return self.rng.choices(VOCABULARY, cum_weights=WORD_CUM, k=self.rng.randint(low, high))

    # Articles --------------------------------------------------------------------------------------------------

    def batches(self) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
        """Rows per table, a batch of about BATCH quotes (with their articles and everything attached) at a time."""
        rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        quote_no = 0
        for n in range(self.articles):
            count = min(QUOTES_PER_ARTICLE, self.quotes - quote_no)
            self._article(n, quote_no, count, rows)
            quote_no += count
            if len(rows["quote"]) >= BATCH:
                yield rows
                rows = defaultdict(list)
        if rows:
            yield rows

    def _article(self, n: int, first_quote: int, quotes: int, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        rng = self.rng
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        article_id = f"syn-{day.isoformat()}-{n:06d}"
        publisher = rng.choice(self.publishers)
        speakers = list(dict.fromkeys(rng.choices(self.persons, cum_weights=self.person_cum, k=rng.randint(1, 5))))
        lead = speakers[0]
        # Spans whose text is read from the finished article: (subject type, subject id, role, (start, end)).
        spans: list[tuple[str, str, str, tuple[int, int]]] = []
        quotes_at: list[tuple[list[Any], tuple[int, int]]] = []  # quote rows still missing their text

        text = _Text()
        title_span = text.add(self.name(lead), lead)[0], text.add(" on " + " ".join(self.words(3, 6)))[1]
        text.add("\n")
        spans.append(("article", article_id, "title", title_span))
        spans.append(("article", article_id, "publisher", text.add(self.name(publisher))))
        text.add(" · ")
        day_text = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
        spans.append(("article", article_id, "published_on", text.add(day_text)))
        text.add("\n\n")
        body_start = text.length

        events = [
            self._event(f"{article_id}-event-{e}", article_id, day, speakers, text, spans, rows)
            for e in range((rng.random() < 0.5) + (rng.random() < 0.15))
        ]
        for q in range(quotes):
            if q and q % 3 == 0:
                text.add("\n\n")
            speaker = rng.choice(speakers)
            quotes_at.append(
                self._quote(first_quote + q, article_id, day, speaker, events, text, spans, rows["quote_mention"])
            )
        if rng.random() < 0.2:
            self._pledge(f"{article_id}-pledge", article_id, day, lead, text, spans, rows)

        body = text.value()
        for row, (start, end) in quotes_at:
            row[4] = body[start:end]
            rows["quote"].append(tuple(row))
            # With its speaker's name, as the loader indexes it (fts.people).
            rows["search_index"].append(("quote", row[0], row[4], row[4], self.name(row[2])))
        rows["evidence"] += [(article_id, kind, id_, role, s, e, body[s:e]) for kind, id_, role, (s, e) in spans]
        rows["mention"] += [(article_id, entity, s, e, body[s:e]) for entity, s, e in text.mentions]
        self.mention_count.update(entity for entity, _, _ in text.mentions)
        self.totals["mentions"] += len(text.mentions)
        published, earliest, latest = _date_object(day.isoformat(), "day", day, day, day_text, "Printed in the byline.")
        rows["article"].append(
            (
                article_id,
                body[title_span[0] : title_span[1]],
                publisher,
                published,
                earliest,
                latest,
                rng.choice(LANGUAGES),
                f"https://news.example/{article_id}",
                body,
                body_start,
                len(body),
                hashlib.sha256(body.encode()).hexdigest(),
            )
        )
        rows["search_index"].append(("article", article_id, body[title_span[0] : title_span[1]], body[body_start:], ""))
        self.totals["articles"] += 1

    def _said_on(self, day: date) -> tuple[str, str, str, str | None]:
        """A quote's date: mostly the day of (or a day before) publication, sometimes a week, a month or undated.

        Returns the date object (JSON), its earliest and latest columns, and the phrase the text says it with.
        """
        rng = self.rng
        draw = rng.random()
        if draw < 0.55:
            said = day - timedelta(days=rng.randrange(3))
            phrase = f"on {WEEKDAYS[said.weekday()]}" if rng.random() < 0.5 else None
            return *_date_object(said.isoformat(), "day", said, said, phrase, "Weekday before publication."), phrase
        if draw < 0.75:
            value, monday, sunday = _week(day - timedelta(days=7))
            return *_date_object(value, "week", monday, sunday, "last week", "Week before publication."), "last week"
        if draw < 0.85:
            month = f"{day.year}-{day.month:02d}"
            return *_date_object(month, "month", day.replace(day=1), day, None, "Earlier that month."), None
        return *_date_object(None, None, None, day, None, "Not dated; said by the publication date."), None

    def _quote(
        self,
        n: int,
        article_id: str,
        day: date,
        speaker: str,
        events: list[str],
        text: _Text,
        spans: list[tuple[str, str, str, tuple[int, int]]],
        links: list[tuple[str, str]],
    ) -> tuple[list[Any], tuple[int, int]]:
        """Write one quote's sentence; its row (text still to fill in) and the span of its words."""
        rng = self.rng
        words = self.words(6, 18)
        quote_id = f"{'-'.join(words[:4])}-{n:x}"
        said_on, earliest, latest, phrase = self._said_on(day)
        named = rng.choices(self.named, cum_weights=self.named_cum)[0] if rng.random() < 0.35 else None
        at = rng.randint(1, len(words) - 1)
        draw = rng.random()
        kind = next(kind for kind, upto in QUOTE_KINDS if draw < upto)
        name = self.name(speaker)
        # The quoted words, possibly naming an entity (a mention inside the quote: a quote_mention link).
        said = " ".join(words[:at]).capitalize() + " "
        if named:
            inner = len(said)
            said += self.name(named) + " "
        said += " ".join(words[at:])
        # One sentence, appended at once; offsets inside it are computed from the lengths of its pieces.
        if kind == "direct":
            sentence = f"“{said},” {name} said"
            quoted, speaker_at, verb = 1, len(said) + 4, 5
        elif kind == "indirect":
            sentence = f"{name} said that {said}"
            quoted, speaker_at, verb = len(name) + 11, 0, 5
        else:
            sentence = f"{name} called it “{said}”"
            quoted, speaker_at, verb = len(name) + 12, 0, 10
        if phrase:
            sentence += " " + phrase
        start = text.add(sentence + ". ")[0]
        span = start + quoted, start + quoted + len(said)
        text.mentions.append((speaker, start + speaker_at, start + speaker_at + len(name)))
        spans.append(("quote", quote_id, "text", span))
        spans.append(("quote", quote_id, "attribution", (start + speaker_at, start + speaker_at + len(name) + verb)))
        if phrase:
            spans.append(("quote", quote_id, "said_on", (start + len(sentence) - len(phrase), start + len(sentence))))
        if named:
            text.mentions.append((named, span[0] + inner, span[0] + inner + len(self.name(named))))
            links.append((quote_id, named))
        event_id = events[0] if events and rng.random() < 0.6 else None
        self.quote_count[speaker] += 1
        self.totals["quotes"] += 1
        return [quote_id, article_id, speaker, kind, None, event_id, said_on, earliest, latest], span

    def _event(
        self,
        event_id: str,
        article_id: str,
        day: date,
        speakers: list[str],
        text: _Text,
        spans: list[tuple[str, str, str, tuple[int, int]]],
        rows: dict[str, list[tuple[Any, ...]]],
    ) -> str:
        rng = self.rng
        type_ = rng.choice(EVENT_TYPES)
        label = type_.replace("_", " ")
        if rng.random() < 0.7:
            location = rng.choices(self.places, cum_weights=self.place_cum)[0]
        else:
            location = rng.choices(self.countries, cum_weights=self.country_cum)[0]
        host = rng.choices(self.countries, cum_weights=self.country_cum)[0]
        lead = speakers[0]
        status: EventStatus
        if rng.random() < 0.75:
            status, phrase = "occurred", f"on {WEEKDAYS[day.weekday()]}"
            value, earliest, latest = _date_object(day.isoformat(), "day", day, day, phrase, "Publication week.")
        else:
            status, phrase = "planned", "next week"
            week, monday, sunday = _week(day + timedelta(days=7))
            value, earliest, latest = _date_object(week, "week", monday, sunday, phrase, "Week after publication.")
        start = text.add(self.name(lead), lead)[0]
        text.add(f" took part in the {label} in ")
        text.add(self.name(location), location)
        text.add(" with ")
        text.add(self.name(host), host)
        text.add(" ")
        spans.append(("event", event_id, "date", text.add(phrase)))
        spans.append(("event", event_id, "support", (start, text.length)))
        text.add(". ")
        title = f"{label.capitalize()} in {self.name(location)}"
        description = f"{self.name(lead)} at the {label} with {self.name(host)}."
        rows["event"].append(
            (event_id, article_id, type_, title, description, status, location, value, earliest, latest)
        )
        participants = dict.fromkeys([(lead, "speaker"), (host, "host")] + [(s, "participant") for s in speakers[1:3]])
        rows["event_participant"] += [(event_id, e, role, i) for i, (e, role) in enumerate(participants)]
        self.event_count.update({e for e, _ in participants} | {location})
        names = " ".join(self.name(e) for e in dict.fromkeys(e for e, _ in participants))
        rows["search_index"].append(("event", event_id, title, f"{title} {description}", names))
        self.totals["events"] += 1
        return event_id

    def _pledge(
        self,
        pledge_id: str,
        article_id: str,
        day: date,
        lead: str,
        text: _Text,
        spans: list[tuple[str, str, str, tuple[int, int]]],
        rows: dict[str, list[tuple[Any, ...]]],
    ) -> None:
        rng = self.rng
        donor = rng.choices(self.countries, cum_weights=self.country_cum)[0]
        drawn = rng.choices(self.countries, cum_weights=self.country_cum, k=rng.randint(1, 3))
        recipients = [r for r in dict.fromkeys(drawn) if r != donor]
        currency, mark = rng.choice(CURRENCIES)
        millions = rng.choice(MILLIONS)
        amount_text = f"{mark}{millions} million"
        purpose = f"to support {' '.join(self.words(2, 5))}"
        phrase = f"on {WEEKDAYS[day.weekday()]}" if rng.random() < 0.5 else None
        initiatives = [
            f"{rng.choice(CONTENT_WORDS).capitalize()} {rng.choice(('Initiative', 'Fund', 'Programme'))}"
            for _ in range(rng.choice((0, 0, 1, 2)))
        ]

        text.add("\n\n")
        start = text.add(self.name(lead), lead)[0]
        text.add(" said ")
        text.add(self.name(donor), donor)
        text.add(" would give ")
        pledge_spans = [("amount", text.add(amount_text))]
        text.add(" ")
        pledge_spans.append(("purpose", text.add(purpose)))
        for i, recipient in enumerate(recipients):
            text.add(" in " if i == 0 else " and ")
            text.add(self.name(recipient), recipient)
        if phrase:
            text.add(" ")
            pledge_spans.append(("announced_on", text.add(phrase)))
        support = (start, text.length)
        text.add(".")
        for i, name in enumerate(initiatives):
            text.add(" It funds the " if i == 0 else " and the ")
            pledge_spans.append(("initiative", text.add(name)))
        text.add(" ")
        pledge_spans.append(("support", support))
        spans += [("pledge", pledge_id, role, span) for role, span in pledge_spans]

        announced, earliest, latest = _date_object(day.isoformat(), "day", day, day, phrase, "Weekday of publication.")
        status = rng.choice(("new", "new", "previously_announced", "reaffirmed"))
        amount = millions * 10**6
        usd = usd_equivalent(amount * 100, currency, day, "the announcement day")  # the loader's own conversion
        rows["pledge"].append(
            (
                pledge_id,
                article_id,
                donor,
                lead,
                purpose,
                status,
                amount * 100,  # all three currencies have cents
                float(amount),
                currency,
                amount_text,
                usd["amount"] if usd else None,
                json.dumps(usd) if usd else None,
                *usd_order(usd["amount"] if usd else None).values(),
                announced,
                earliest,
                latest,
            )
        )
        rows["pledge_recipient"] += [(pledge_id, r, i) for i, r in enumerate(recipients)]
        rows["pledge_initiative"] += [(pledge_id, name) for name in initiatives]
        self.pledge_count.update({donor, lead, *recipients})
        label = f"{amount_text} {purpose}"
        names = " ".join(self.name(e) for e in dict.fromkeys([donor, lead, *recipients]))
        rows["search_index"].append(("pledge", pledge_id, label, " ".join([label, *initiatives]), names))
        self.totals["pledges"] += 1

    # After the articles ----------------------------------------------------------------------------------------

    def final_rows(self, version: str) -> dict[str, list[tuple[Any, ...]]]:
        """Entities (with their counts, known only now), aliases, affiliations, their search rows, dataset info."""
        entities = [
            (
                entity_id,
                type_,
                name,
                description,
                country,
                self.mention_count[entity_id],
                self.quote_count[entity_id],
                self.pledge_count[entity_id],
                self.event_count[entity_id],
            )
            for entity_id, (type_, name, description, country) in self.entities.items()
        ]
        search = [("entity", e[0], e[2], f"{e[2]} {e[3]}", "") for e in entities]  # aliases are inside the names
        counts = {
            "articles": self.totals["articles"],
            "entities": len(entities),
            "mentions": self.totals["mentions"],
            "quotes": self.totals["quotes"],
            "pledges": self.totals["pledges"],
            "events": self.totals["events"],
        }
        loaded_at = datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S.%f")
        return {
            "entity": entities,
            "entity_alias": self.aliases,
            "entity_affiliation": self.affiliations,
            "search_index": search,
            "dataset_info": [(version, loaded_at, json.dumps(counts))],
        }
