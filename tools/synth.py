"""A synthetic corpus of any size, for benchmarks and scale tests: ``python -m tools.synth --quotes N --db PATH``.

It writes the project's own schema (the Alembic migrations) through the loader's safe path (a file beside the
target, one transaction, integrity and foreign-key checks, atomic rename) with the shape of curated data:

- articles of generated text (about 20 quotes each) that every evidence span and mention really points into,
  with code-point offsets (the text has curly quotes and accented names);
- speakers with a Zipf-like share of the quotes (at 1M quotes the busiest has tens of thousands), entities of
  every type, aliases, affiliations, mentions and quote-mention links, pledges, events with participants;
- dates with the curated convention: a value at a precision, its bounds, open bounds stored as 0001-01-01;
- a ``search_index`` filled like the loader's (same labels and bodies per kind), with common and rare words;
- stored entity counts and a ``dataset_info`` row.

The same ``--quotes`` and ``--seed`` give the same rows. The dataset version hashes them together with this
file's source, the app's event types (in their order) and the schema revision, so a database built by another
version of the generator is never mistaken for a current one (the benchmark reuses a database only when its
version matches).

The vocabularies of the enum-like columns are the app's own (``app.models``): the event types are drawn from
the app's list, in its order; the weighted draws of quote kinds and pledge statuses are checked against the app's
lists when this module is imported; entity types and event statuses are typed with the app's ``Literal`` types
(mypy checks every value written; date precisions are annotated too, but ``lru_cache`` hides those calls from it).

A tool beside the service, not part of it: nothing under ``app/`` imports it. tqdm (the progress bars) is
imported only when progress is shown.

Speed: rows are generated as tuples and written with ``executemany`` in large batches on a file with no
journal and no syncing (it is a private temporary file until the final fsync and rename), generated in a second
process while this one writes; the migration's indexes are dropped before the insert and recreated from their
own SQL afterwards (less CPU than maintaining them row by row: 22 s against 24 s at 300k quotes, and it scales
better). ``ANALYZE`` ends the build, as it ends a load, so the query planner has statistics.
"""

import argparse
import hashlib
import json
import math
import multiprocessing
import queue
import random
import sqlite3
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any, get_args

import pycountry
from sqlmodel import SQLModel

from app.db import analyze, check, open_engine, replace_atomically
from app.loader import store_documents
from app.models import EntityType, EventStatus, EventType, PledgeStatus, Precision, QuoteKind
from app.schema import head_revision, migrate

QUOTES_PER_ARTICLE = 20
FIRST_DAY = date(2015, 1, 1)
DAYS = 3650
PARALLEL_FROM = 20_000  # quotes; below that, starting a process costs more than it saves
BATCH = 50_000  # quotes (with everything attached to them) per executemany round


def _words(text: str) -> list[str]:
    return text.split()


# Words of the generated text, most frequent first; frequency falls with rank (Zipf). The benchmark searches
# for COMMON_WORD (in several percent of the quotes) and types PREFIX (the start of a few common words).
FUNCTION_WORDS = _words(
    "the we will to and of a in for our is that not this with be it on are must have as they their all more "
    "by about what from who can an has was been would there no"
)
CONTENT_WORDS = _words(
    "people country security government support region economy time war peace trade future years policy "
    "sanctions energy talks government help world partners border growth crisis jobs aid rights law "
    "president minister election reform budget market prices workers families children schools health "
    "water food climate investment infrastructure agreement cooperation stability sovereignty independence "
    "governance governor governments military defense alliance dialogue pressure decision responsibility "
    "progress development transport railway pipeline gas oil grain exports imports currency inflation "
    "banks debt loans corruption justice courts media freedom journalists citizens communities villages "
    "cities farmers business companies technology internet digital education universities science research "
    "hospitals doctors vaccine refugees migrants borders neighbours friends commitment promise challenge "
    "opportunity risk threat attack invasion ceasefire negotiations summit visit meeting conference vote "
    "parliament opposition coalition protest strike union tax spending"
)
COMMON_WORD = "security"
PREFIX = "gov"
_SYLLABLES = _words("ka lo mi ru ze ta vo ni pa su re do fi ga hu ja ke ly mo ne")
# The long tail: pseudo-words, each rare (a handful of uses per million quotes).
RARE_WORDS = [a + b + c + "n" for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES]
VOCABULARY = list(dict.fromkeys(FUNCTION_WORDS + CONTENT_WORDS)) + RARE_WORDS
# Common words follow Zipf's law; the pseudo-words share 3% of the running text, a few dozen uses each per 1M quotes.
_COMMON_WEIGHTS = [1 / (rank + 3) for rank in range(len(VOCABULARY) - len(RARE_WORDS))]
WORD_CUM = list(accumulate(_COMMON_WEIGHTS + [0.03 * sum(_COMMON_WEIGHTS) / len(RARE_WORDS)] * len(RARE_WORDS)))

FIRST_NAMES = _words(
    "Ana Boris José Chen Amara Dmitri Elena Farid Grace Hiro Ines Jamal Kofi Lena Mateo Nadia Olga Pavel "
    "Quentin Rosa Sami Tanja Umar Vera Wen Ximena Yusuf Zoë Aigerim Björn Chloé Darius Emre Fatima Gábor "
    "Hana Ivan Jorge Kateryna Luis Marta Nikolai Oksana Pedro Rustam Sofia Timur Ulla Viktor Walid"
)
LAST_NAMES = _words(
    "Petrov Müller García Chen Okafor Ivanova Haddad Smith Tanaka Kowalski Nowak Rossi Dubois Silva Kim "
    "Nazarbayev Popescu Horvat Jensen Novák Yilmaz Ahmadi Mensah Nguyen Costa Schmidt Larsen Fischer Moreau "
    "Santos Ibrahim Kaur Sato Lindqvist Alvarez Bauer Kovačević Omarov Sultanov Karimova Ali Hussein Park "
    "Rahman Wójcik Janssen Öztürk Abdullayev Tashkentov Brown"
)
ROLES = ("minister", "spokesperson", "ambassador", "adviser", "chair", "director")
ORG_KINDS = ("Ministry of Foreign Affairs", "Ministry of Energy", "Central Bank", "Parliament", "Trade Agency")
PUBLISHER_KINDS = ("Times", "Herald", "Post", "Gazette", "Tribune", "Daily")
# The app's event types, drawn uniformly in the app's order: the order decides which type a draw picks, so it
# is part of the dataset version (reordering or extending the app's list changes the rows and the version).
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)
# Weighted draws over the app's vocabularies, in a fixed order (the order of the draw, not the app's): a kind
# and the cumulative share up to it; a status listed twice is drawn twice as often.
QUOTE_KINDS: tuple[tuple[QuoteKind, float], ...] = (("direct", 0.6), ("indirect", 0.85), ("partial", 1.0))
PLEDGE_STATUSES: tuple[PledgeStatus, ...] = ("new", "new", "previously_announced", "reaffirmed")
CURRENCIES = (("USD", "$"), ("EUR", "€"), ("GBP", "£"))
MILLIONS = (1, 2, 3, 5, 10, 15, 20, 25, 50, 100, 150, 250, 500, 1000)
LANGUAGES = ("en",) * 18 + ("ru", "fr")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = _words("January February March April May June July August September October November December")


def _check_vocabulary(name: str, drawn: Collection[str], vocabulary: Any) -> None:
    """Fail at import if a draw no longer covers exactly the app's ``vocabulary`` (a ``Literal``)."""
    if set(drawn) != set(get_args(vocabulary)):
        raise RuntimeError(f"tools.synth draws {name} {sorted(drawn)}, the app has {sorted(get_args(vocabulary))}")


_check_vocabulary("quote kinds", [kind for kind, _ in QUOTE_KINDS], QuoteKind)
_check_vocabulary("pledge statuses", PLEDGE_STATUSES, PledgeStatus)

# Tables are written with their columns in model order; integer ids are left to SQLite, as in the loader.
SEARCH_COLUMNS = ("kind", "id", "label", "body")


OPEN_EARLIEST, OPEN_LATEST = date.min.isoformat(), date.max.isoformat()  # how the loader stores open bounds


def dataset_version(quotes: int, seed: int) -> str:
    """Hash of what determines the rows: the sizes, the seed, this generator's source, the app's event types (the
    order decides which one a draw picks) and the schema revision."""
    head = head_revision() or ""
    digest = hashlib.sha256(f"synth\0{quotes}\0{seed}\0{head}\0".encode())
    digest.update(Path(__file__).read_bytes())
    digest.update(repr(EVENT_TYPES).encode())
    return digest.hexdigest()[:16]


def synth(target: Path, quotes: int, seed: int = 0, progress: bool = True, parallel: bool | None = None) -> str:
    """Build a corpus of ``quotes`` quotes and atomically replace ``target`` with it; returns the dataset version.

    ``parallel`` (default: from PARALLEL_FROM quotes on) generates the rows in a second process while this one
    writes them; the rows are the same either way.
    """
    if quotes < 1:
        raise ValueError("the number of quotes must be at least 1")
    version = dataset_version(quotes, seed)
    if parallel is None:
        parallel = quotes >= PARALLEL_FROM
    source = _rows_from_child if parallel else rows
    replace_atomically(target, lambda tmp: _write(tmp, source(quotes, seed, version), quotes, progress))
    return version


Rows = dict[str, list[tuple[Any, ...]]]


def rows(quotes: int, seed: int, version: str) -> Iterator[Rows]:
    """Every row, table by table: batches of articles with all their facts, then the entities and dataset info
    (entity counts are known only once every article is written)."""
    generator = _Generator(random.Random(seed), quotes)
    yield from generator.batches()
    yield generator.final_rows(version)


def _produce(queue: Any, quotes: int, seed: int, version: str) -> None:
    try:
        for batch in rows(quotes, seed, version):
            # Column lists pickle in half the time of row tuples; the writer zips them back.
            queue.put({table: list(zip(*values, strict=True)) for table, values in batch.items()})
        queue.put(None)
    except BaseException as exc:
        queue.put(exc)
        raise


def _rows_from_child(quotes: int, seed: int, version: str) -> Iterator[Rows]:
    """``rows``, generated in a child process: generating and writing take similar time, so on two cores the
    build takes about half as long. Spawned, not forked, so nothing of this process's state is shared."""
    context = multiprocessing.get_context("spawn")
    channel = context.Queue(maxsize=2)  # at most two batches in flight: memory stays bounded
    child = context.Process(target=_produce, args=(channel, quotes, seed, version), daemon=True)
    child.start()
    try:
        while True:
            try:
                item = channel.get(timeout=1)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(f"the generator process died (exit code {child.exitcode})") from None
                continue
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield {table: list(zip(*columns, strict=True)) for table, columns in item.items()}
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        channel.close()


def _write(path: Path, source: Iterator[Rows], quotes: int, progress: bool) -> None:
    engine = open_engine(path)
    try:
        with engine.begin() as connection:
            migrate(connection)
    finally:
        engine.dispose()

    db = sqlite3.connect(path, isolation_level=None)
    try:
        # A private file until it is renamed: no rollback journal, no fsync per commit (one fsync at the end).
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA cache_size = -1048576")  # 1 GiB: index builds sort in memory, few pages are re-read
        db.execute("PRAGMA temp_store = MEMORY")
        db.execute("PRAGMA threads = 2")  # index builds may sort on a second core
        db.execute("BEGIN")
        indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
        for name, _ in indexes:
            db.execute(f'DROP INDEX "{name}"')
        with _step("rows (this process)", progress), _progress_bar(progress, total=quotes, unit="quote") as advance:
            for batch in source:
                for table, values in batch.items():
                    if values:
                        db.executemany(_insert(table), values)
                advance(len(batch.get("quote", ())))
        with _step("indexes", progress):
            for _, sql in indexes:
                db.execute(sql)
        db.execute("COMMIT")
    finally:
        db.close()

    engine = open_engine(path)
    try:
        with (
            _step("documents (each fact's JSON)", progress),
            engine.begin() as connection,
            _progress_bar(progress, unit="doc") as advance,
        ):
            connection.exec_driver_sql("PRAGMA cache_size = -1048576")
            store_documents(connection, advance)
        with _step("statistics (ANALYZE)", progress), engine.begin() as connection:
            analyze(connection)
        # quick_check: the indexes were built from the rows a moment ago by CREATE INDEX; matching every entry
        # against its row again (integrity_check) would take five times as long for nothing (measured at 100k).
        with _step("integrity (quick_check) and foreign-key checks", progress), engine.connect() as connection:
            check(connection, quick=True)
    finally:
        engine.dispose()


def _insert(table: str) -> str:
    columns = _columns(table)
    names = ", ".join(f'"{c}"' for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"


def _columns(table: str) -> list[str]:
    if table == "search_index":  # created by the migration, not a model
        return list(SEARCH_COLUMNS)
    columns = SQLModel.metadata.tables[table].columns
    # `doc` is rendered after the rows are in (store_documents), like the loader does.
    return [
        c.name
        for c in columns
        if not (c.primary_key and c.name == "id" and c.type.python_type is int) and c.name != "doc"
    ]


@contextmanager
def _progress_bar(progress: bool, **options: Any) -> Iterator[Callable[[int], object]]:
    """A tqdm progress bar on stderr, as the function that advances it; without progress, a function that does
    nothing (and tqdm, a tool's dependency, need not be installed)."""
    if not progress:
        yield _ignore
        return
    from tqdm import tqdm

    with tqdm(unit_scale=True, file=sys.stderr, **options) as bar:
        yield bar.update


def _ignore(_: int) -> None:
    pass


@contextmanager
def _step(name: str, progress: bool) -> Iterator[None]:
    """Report how long a step took, in wall-clock and CPU time (on a shared machine they differ)."""
    started, cpu = time.perf_counter(), time.process_time()
    yield
    if progress:
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"{name}: {wall:.1f} s (CPU {cpu:.1f} s)", file=sys.stderr)


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text.lower()).split())


def _zipf_cum(n: int) -> list[float]:
    """Cumulative weights 1/rank, for ``random.choices``: the first few take a large share."""
    return list(accumulate(1 / rank for rank in range(1, n + 1)))


@lru_cache(maxsize=1 << 16)  # a few variants per publication day: most quotes share one
def _date_object(
    value: str | None,
    precision: Precision | None,
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


class _Generator:
    def __init__(self, rng: random.Random, quotes: int) -> None:
        self.rng = rng
        self.quotes = quotes
        self.articles = math.ceil(quotes / QUOTES_PER_ARTICLE)
        self.entities: dict[str, tuple[EntityType, str, str, str | None]] = {}  # id -> type, name, description, country
        self.aliases: list[tuple[str, str]] = []
        self.affiliations: list[tuple[str, str, str | None]] = []
        self.quote_count: Counter[str] = Counter()
        self.mention_count: Counter[str] = Counter()
        self.pledge_count: Counter[str] = Counter()
        self.event_count: Counter[str] = Counter()
        self.totals: Counter[str] = Counter()
        self._make_entities()

    # Entities --------------------------------------------------------------------------------------------------

    def _add_entity(self, type_: EntityType, name: str, description: str, country: str | None = None) -> str:
        base = entity_id = slug(name)
        n = 2
        while entity_id in self.entities:
            entity_id = f"{base}-{n}"
            n += 1
        self.entities[entity_id] = (type_, name, description, country)
        return entity_id

    def _make_entities(self) -> None:
        rng = self.rng
        self.countries = []
        for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
            name = getattr(country, "common_name", None) or country.name
            self.countries.append(self._add_entity("country", name, f"Country ({country.alpha_2}).", country.alpha_2))
        rng.shuffle(self.countries)  # which countries are in the news most is down to the seed
        country_codes = [self.entities[c][3] for c in self.countries]

        def pseudo_name() -> str:
            return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()

        self.places = [
            self._add_entity("place", pseudo_name() + rng.choice(("", " City", "abad", "grad")), "A city.")
            for _ in range(max(10, self.quotes // 2000))
        ]
        self.organizations = []
        for i in range(max(10, self.quotes // 1000)):
            code = country_codes[i % len(country_codes)]
            country_name = self.entities[self.countries[i % len(self.countries)]][1]
            kind = ORG_KINDS[i % len(ORG_KINDS)]
            self.organizations.append(
                self._add_entity("organization", f"{kind} of {country_name}", f"The {kind.lower()}.", code)
            )
        self.publishers = [
            self._add_entity(
                "organization", f"The {pseudo_name()} {rng.choice(PUBLISHER_KINDS)}", "A news publisher.", None
            )
            for _ in range(max(3, self.quotes // 20_000))
        ]
        self.groups = [
            self._add_entity("group", f"{pseudo_name()} Alliance", "A group of states.", None)
            for _ in range(max(3, self.quotes // 50_000))
        ]
        self.persons = []
        firsts, lasts = len(FIRST_NAMES), len(LAST_NAMES)
        for i in range(max(30, self.quotes // 40)):
            first, last = FIRST_NAMES[i % firsts], LAST_NAMES[(i + i // firsts) % lasts]  # all pairs, then initials
            middle = f" {chr(65 + (i // (firsts * lasts)) % 26)}." if i >= firsts * lasts else ""
            name = f"{first}{middle} {last}"
            role = ROLES[i % len(ROLES)]
            person = self._add_entity("person", name, f"A {role}.", rng.choice(country_codes))
            self.persons.append(person)
            self.aliases.append((person, last))
            if i % 2 == 0:
                self.affiliations.append((person, role, rng.choice(self.organizations)))
        rng.shuffle(self.persons)  # rank in the Zipf draw, not alphabetical order, makes a speaker busy
        self.person_cum = _zipf_cum(len(self.persons))
        self.named = self.countries[:60] + self.organizations[:200] + self.groups  # what quotes talk about
        self.named_cum = _zipf_cum(len(self.named))
        self.place_cum = _zipf_cum(len(self.places))
        self.country_cum = _zipf_cum(len(self.countries))

    def name(self, entity_id: str) -> str:
        return self.entities[entity_id][1]

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
            rows["search_index"].append(("quote", row[0], row[4], row[4]))
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
        rows["search_index"].append(("article", article_id, body[title_span[0] : title_span[1]], body[body_start:]))
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
        rows["search_index"].append(("event", event_id, title, f"{title} {description}"))
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
                announced,
                earliest,
                latest,
            )
        )
        rows["pledge_recipient"] += [(pledge_id, r, i) for i, r in enumerate(recipients)]
        rows["pledge_initiative"] += [(pledge_id, name) for name in initiatives]
        self.pledge_count.update({donor, lead, *recipients})
        label = f"{amount_text} {purpose}"
        rows["search_index"].append(("pledge", pledge_id, label, " ".join([label, *initiatives])))
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
        search = [("entity", e[0], e[2], f"{e[2]} {e[3]}") for e in entities]  # aliases are inside the names
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


def main(argv: list[str] | None = None) -> int:
    """``python -m tools.synth --quotes N --db PATH [--seed S]``, from the project root."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.synth", description="Build a synthetic corpus of N quotes (benchmarks, scale tests)."
    )
    parser.add_argument("--quotes", type=int, required=True, help="number of quotes, e.g. 1000000")
    parser.add_argument("--db", type=Path, required=True, help="database file to (atomically) replace")
    parser.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same data")
    args = parser.parse_args(argv)
    if args.quotes < 1:
        print("--quotes must be at least 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    version = synth(args.db, args.quotes, args.seed)
    size = args.db.stat().st_size / 2**20
    print(
        f"built {args.db}: {args.quotes} quotes, seed {args.seed}, dataset version {version}, "
        f"{size:.1f} MiB in {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
