"""Seed files -> validated rows. Reads ``seeds/``, checks everything, reports every problem with its line.

The format is documented in ``seeds/README.md``. ``compile_seeds`` is the only entry point: it returns the
rows to load (table rows and full-text documents), or raises SeedError with every problem
(``file:line: fact-id: what is wrong``).

Map of this module, in reading order:
- YAML with line numbers (``_LineLoader``, ``line_of``);
- the shapes curators write (``EntityIn``, ``QuoteIn``, ... with ``extra="forbid"``);
- amounts (``parse_amount``) and the dataset version (``seeds_version``);
- ``_Compiler``: entities -> each article (text, evidence, dates) -> its mentions -> its events, quotes and
  pledges -> references checked last; each ``add_*`` builds the table rows and the ``SearchDoc`` of one fact.
"""

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, TypeVar

import pycountry
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlmodel import SQLModel

from app import dates
from app.evidence import ArticleText, EvidenceError, Span, fold
from app.models import (
    Article,
    Entity,
    EntityAffiliation,
    EntityAlias,
    EntityType,
    Event,
    EventParticipant,
    EventStatus,
    EventType,
    Evidence,
    Mention,
    Pledge,
    PledgeInitiative,
    PledgeRecipient,
    PledgeStatus,
    Precision,
    Quote,
    QuoteKind,
    QuoteMention,
)

M = TypeVar("M", bound=BaseModel)
KINDS = {"entities": "entity", "events": "event", "quotes": "quote", "pledges": "pledge"}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# --- YAML with line numbers -------------------------------------------------------------------------------


class LineDict(dict[str, Any]):
    line: int
    key_lines: dict[str, int]


class LineList(list[Any]):
    line: int


class _LineLoader(yaml.SafeLoader):
    """Safe YAML that remembers where each mapping, list and key starts, and keeps dates as strings."""


_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(None, None, "keys must be plain words", key_node.start_mark)
        key = str(loader.construct_object(key_node, deep=True))
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def line_of(node: Any, *path: str | int) -> int:
    """The line of the deepest node along ``path`` that has one (a key's own line for a scalar value)."""
    line = getattr(node, "line", 0)
    for step in path:
        if isinstance(node, LineDict) and isinstance(step, str) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            break
        line = getattr(node, "line", line)
    return line


# --- Seed shapes (what curators write) ---------------------------------------------------------------------


NonBlank = Annotated[str, StringConstraints(pattern=r"\S")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class RefIn(_Strict):
    text: str
    prefix: str = ""
    suffix: str = ""


Ref = str | RefIn


class DateIn(_Strict):
    # YAML reads an unquoted year (`value: 2022`) as a number; it is still the year.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    value: str | None = None
    precision: Precision | None = None
    earliest: str | None = None
    latest: str | None = None
    text: Ref | None = None
    inferred: bool = False
    basis: str | None = None


class AffiliationIn(_Strict):
    role: str
    organization: str | None = None


class EntityIn(_Strict):
    id: str
    type: EntityType
    name: NonBlank
    aliases: list[NonBlank] = []
    description: str
    country_code: str | None = None
    affiliations: list[AffiliationIn] = []


class MentionOverrideIn(_Strict):
    entity: str | None
    text: str
    prefix: str = ""
    suffix: str = ""


class PublisherIn(_Strict):
    entity: str
    text: Ref | None = None


class BodyIn(_Strict):
    start: Ref
    end: Ref


class ArticleIn(_Strict):
    id: str
    sha256: str
    language: str
    url: str | None = None
    title: Ref
    publisher: PublisherIn
    published_on: DateIn
    body: BodyIn
    entities: list[dict[str, Any]] = []  # validated one by one as EntityIn, for their line numbers
    mentions: list[MentionOverrideIn] = []


class QuoteIn(_Strict):
    id: str
    speaker: str
    kind: QuoteKind
    text: Ref
    attribution: Ref | None = None
    said_on: DateIn
    event: str | None = None
    mentions: list[str] = []
    evidence: list[Ref] = []


class AmountIn(_Strict):
    text: Ref
    amount_minor: int = Field(ge=0, lt=2**63)  # a signed 64-bit column
    currency: str


class PledgeIn(_Strict):
    id: str
    donor: str
    announced_by: str | None = None
    recipients: list[str] = []
    amount: AmountIn | None = None
    purpose: Ref | None = None
    initiatives: list[Ref] = []
    status: PledgeStatus
    announced_on: DateIn
    evidence: list[Ref] = []


class ParticipantIn(_Strict):
    entity: str
    role: str


class EventIn(_Strict):
    id: str
    type: EventType
    title: str
    description: str
    date: DateIn
    status: EventStatus
    location: str | None = None
    participants: list[ParticipantIn] = []
    evidence: list[Ref]


# --- Problems ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    fact: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.fact}: {self.message}"


@dataclass
class Source:
    """Where a fact was written, so a problem can point at its line."""

    file: str
    node: Any
    fact: str


class SeedError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the seeds")
        self.problems = problems


# --- The result ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchDoc:
    kind: str
    id: str
    label: str
    body: str


@dataclass
class Dataset:
    version: str
    rows: list[SQLModel] = field(default_factory=list)
    search: list[SearchDoc] = field(default_factory=list)

    def count(self, table: type[SQLModel]) -> int:
        return sum(isinstance(row, table) for row in self.rows)


# --- Compiling -----------------------------------------------------------------------------------------------

MINOR_UNIT_EXCEPTIONS = {  # ISO 4217 currencies whose minor unit is not 1/100 (the rest use two decimals)
    **dict.fromkeys(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX"], 0),
    **dict.fromkeys(["VND", "VUV", "XAF", "XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}
CURRENCY_MARKS = {
    "$": {"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN"},
    "US$": {"USD"},
    "€": {"EUR"},
    "£": {"GBP"},
    "¥": {"JPY", "CNY"},
    "dollar": {"USD", "CAD", "AUD", "NZD", "HKD", "SGD"},
    "euro": {"EUR"},
    "pound": {"GBP"},
    "yen": {"JPY"},
    "yuan": {"CNY"},
    "ruble": {"RUB"},
    "rouble": {"RUB"},
}
SCALES = {"thousand": 10**3, "million": 10**6, "m": 10**6, "billion": 10**9, "bn": 10**9, "trillion": 10**12}
_AMOUNT = re.compile(
    r"^(?P<mark>US\$|[$€£¥])?\s*(?P<number>\d[\d,]*(?:\.\d+)?)\s*(?P<scale>thousand|million|billion|trillion|bn|m)?"
    r"\s*(?P<word>(?:US )?(?:dollar|euro|pound|yen|yuan|ruble|rouble)s?)?$",
    re.IGNORECASE,
)


def minor_exponent(currency: str) -> int:
    return MINOR_UNIT_EXCEPTIONS.get(currency, 2)


def parse_amount(text: str, currency: str) -> int:
    """The amount ``text`` states, in minor units of ``currency``; ValueError when it cannot be read so."""
    match = _AMOUNT.match(text.strip().replace("\u00a0", " "))
    if not match:
        raise ValueError(f"cannot read an amount from {text!r} (expected e.g. '$25 million')")
    for mark in (match["mark"], match["word"]):
        if mark:
            key = mark.lower().removeprefix("us ").rstrip("s") if mark[0].isalpha() else mark
            if currency not in CURRENCY_MARKS.get(key, {currency}):
                raise ValueError(f"{text!r} is not an amount in {currency}")
    try:
        number = Decimal(match["number"].replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"cannot read a number from {text!r}") from None
    scale = SCALES[match["scale"].lower()] if match["scale"] else 1
    minor = number * scale * 10 ** minor_exponent(currency)
    if minor != minor.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number of minor units of {currency}")
    return int(minor)


def seeds_version(root: Path) -> str:
    """A hash of every seed file that feeds the database (paths and bytes), so the same seeds -> same version."""
    digest = hashlib.sha256()
    for path in seed_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def seed_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in {".yaml", ".yml", ".txt"})


@dataclass
class _ArticleContext:
    article_id: str
    text: ArticleText
    scope: list[tuple[int, int]]  # where mentions are looked for: the title line and the body, not the boilerplate
    prefix: str


class _Compiler:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.rows: list[SQLModel] = []
        self.search: list[SearchDoc] = []
        self.entities: dict[str, tuple[EntityIn, Source]] = {}
        self.events: dict[str, Source] = {}
        self.fact_ids: dict[str, dict[str, Source]] = defaultdict(dict)
        self.entity_refs: list[tuple[str, Source, tuple[str | int, ...]]] = []
        self.event_refs: list[tuple[str, Source]] = []
        self.pending_articles: list[tuple[_ArticleContext, ArticleIn, Source, dict[str, Any]]] = []
        # Kinds whose definitions could not all be read: references to them would only add noise.
        self.unreadable: set[str] = set()
        self.invalid_ids: set[str] = set()
        self.entity_scope: dict[str, str | None] = {}  # entity id -> the article it is local to (None: registry)

    # Reporting

    def problem(self, src: Source, path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(Problem(src.file, line_of(src.node, *path), src.fact, message))

    def read_yaml(self, path: Path, defines: str = "entity") -> LineDict | None:
        data = self._read_yaml(path)
        if data is None:
            self.unreadable.add(defines)
        return data

    def _read_yaml(self, path: Path) -> LineDict | None:
        rel = path.relative_to(self.root.parent).as_posix()
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line = mark.line + 1 if mark else 1
            self.problems.append(Problem(rel, line, "-", f"malformed YAML: {getattr(exc, 'problem', exc)}"))
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(Problem(rel, 1, "-", f"cannot read the file: {exc}"))
            return None
        if not isinstance(data, LineDict):
            self.problems.append(Problem(rel, 1, "-", "expected a mapping at the top of the file"))
            return None
        return data

    def validate(self, model: type[M], src: Source) -> M | None:
        try:
            return model.model_validate(src.node)
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(error["loc"])
                where = ".".join(str(part) for part in loc)
                self.problem(src, loc, f"{where}: {error['msg']}" if where else error["msg"])
            return None

    def items(self, data: LineDict, key: str, src_file: str) -> Iterator[Source]:
        """Each mapping under ``key``, as a Source named by its id."""
        items = data.get(key, [])
        if not isinstance(items, list):
            self.problems.append(Problem(src_file, line_of(data, key), "-", f"{key} must be a list"))
            return
        for item in items:
            if not isinstance(item, dict):
                self.problems.append(Problem(src_file, line_of(data, key), "-", f"each of {key} must be a mapping"))
                self.unreadable.add(KINDS.get(key, key))
                continue
            yield Source(src_file, item, str(item.get("id", "-")))

    def claim_id(self, kind: str, fact_id: str, src: Source) -> bool:
        if not SLUG.match(fact_id):
            self.problem(src, ("id",), "id must be a slug: lowercase letters, digits and single hyphens")
            return False
        if fact_id in self.fact_ids[kind]:
            first = self.fact_ids[kind][fact_id]
            self.problem(src, ("id",), f"duplicate {kind} id (first defined in {first.file}:{line_of(first.node)})")
            return False
        self.fact_ids[kind][fact_id] = src
        return True

    def ref_entity(self, entity_id: str | None, src: Source, path: tuple[str | int, ...]) -> None:
        if entity_id is not None:
            self.entity_refs.append((entity_id, src, path))

    # Entities

    def add_entity(self, src: Source, article_id: str | None = None) -> None:
        """An entity of the shared registry, or (with ``article_id``) one local to that article."""
        entity = self.validate(EntityIn, src)
        if entity is None:
            self.invalid_ids.add(str(src.node.get("id")))  # its references are not reported as unknown too
            return
        if not self.claim_id("entity", entity.id, src):
            return
        self.entity_scope[entity.id] = article_id
        if entity.country_code is not None and pycountry.countries.get(alpha_2=entity.country_code) is None:
            self.problem(src, ("country_code",), f"{entity.country_code!r} is not an ISO 3166-1 alpha-2 code")
        for i, affiliation in enumerate(entity.affiliations):
            self.ref_entity(affiliation.organization, src, ("affiliations", i, "organization"))
        self.entities[entity.id] = (entity, src)
        self.rows.append(
            Entity(
                id=entity.id,
                type=entity.type,
                name=entity.name,
                description=entity.description,
                country_code=entity.country_code,
            )
        )
        aliases = list(dict.fromkeys(entity.aliases))
        self.rows += [EntityAlias(entity_id=entity.id, alias=alias) for alias in aliases]
        self.rows += [
            EntityAffiliation(entity_id=entity.id, role=a.role, organization_id=a.organization)
            for a in entity.affiliations
        ]
        # Aliases already inside the name ("Tokayev" in "Kassym-Jomart Tokayev") would only repeat in snippets.
        extra = [alias for alias in aliases if fold(alias) not in fold(entity.name)]
        self.search.append(
            SearchDoc("entity", entity.id, entity.name, " ".join([entity.name, *extra, entity.description]))
        )

    # Evidence and dates

    def resolve(self, text: ArticleText, ref: Ref | None, src: Source, path: tuple[str | int, ...]) -> Span | None:
        if ref is None:
            return None
        ref = RefIn(text=ref) if isinstance(ref, str) else ref
        try:
            return text.find(ref.text, ref.prefix, ref.suffix)
        except EvidenceError as exc:
            self.problem(src, path, str(exc))
            return None

    def date(
        self, text: ArticleText, value: DateIn, src: Source, path: tuple[str | int, ...]
    ) -> tuple[dict[str, Any], date, date, Span | None]:
        earliest = latest = None
        try:
            if value.value is not None:
                if value.precision is None:
                    raise ValueError("a date with a value needs a precision")
                earliest, latest = dates.period(value.value, value.precision)
            elif value.earliest is None and value.latest is None:
                raise ValueError("a date needs a value, or at least one of earliest/latest")
            period = (earliest, latest)
            if value.earliest is not None:
                earliest = dates.parse_day(value.earliest)
            if value.latest is not None:
                latest = dates.parse_day(value.latest)
            if earliest and latest and earliest > latest:
                raise ValueError(f"earliest {earliest} is after latest {latest}")
            for name, bound in (("earliest", earliest), ("latest", latest)):
                if period[0] and period[1] and bound and not period[0] <= bound <= period[1]:
                    raise ValueError(f"{name} {bound} is outside {value.value}")
            if value.inferred and not value.basis:
                raise ValueError("an inferred date needs a basis")
        except ValueError as exc:
            self.problem(src, path, str(exc))
        span = self.resolve(text, value.text, src, (*path, "text"))
        obj = {
            "value": value.value,
            "precision": value.precision,
            "earliest": earliest.isoformat() if earliest else None,
            "latest": latest.isoformat() if latest else None,
            "text": span.text if span else None,
            "inferred": value.inferred,
            "basis": value.basis,
        }
        return obj, earliest or date.min, latest or date.max, span

    # Articles

    def add_article(self, folder: Path) -> None:
        rel = folder.relative_to(self.root.parent).as_posix()
        data = self.read_yaml(folder / "article.yaml")
        if data is None:
            return
        src = Source(f"{rel}/article.yaml", data, str(data.get("id", folder.name)))
        article = self.validate(ArticleIn, src)
        if article is None or not self.claim_id("article", article.id, src):
            return
        try:
            raw = (folder / "article.txt").read_bytes()
        except OSError as exc:
            self.problem(src, ("id",), f"cannot read article.txt: {exc.strerror}")
            return
        if hashlib.sha256(raw).hexdigest() != article.sha256:
            self.problem(src, ("sha256",), "article.txt no longer matches its sha256: the source text changed")
            return
        try:
            text = ArticleText(raw.decode("utf-8"))
        except UnicodeDecodeError:
            self.problem(src, ("sha256",), "article.txt is not UTF-8 text")
            return
        if pycountry.languages.get(alpha_2=article.language) is None:
            self.problem(src, ("language",), f"{article.language!r} is not an ISO 639-1 language code")
        for entity_src in self.items(data, "entities", src.file):
            self.add_entity(entity_src, article.id)

        evidence: list[tuple[str, Span | None]] = []
        title = self.resolve(text, article.title, src, ("title",))
        evidence.append(("title", title))
        self.ref_entity(article.publisher.entity, src, ("publisher", "entity"))
        evidence.append(("publisher", self.resolve(text, article.publisher.text, src, ("publisher", "text"))))
        published, earliest, latest, span = self.date(text, article.published_on, src, ("published_on",))
        evidence.append(("published_on", span))
        start = self.resolve(text, article.body.start, src, ("body", "start"))
        end = self.resolve(text, article.body.end, src, ("body", "end"))
        if title is None or start is None or end is None:
            return
        if start.start >= end.end:
            self.problem(src, ("body",), "the body ends before it starts")
            return
        self.rows.append(
            Article(
                id=article.id,
                title=title.text,
                publisher_id=article.publisher.entity,
                published_on=published,
                published_on_earliest=earliest,
                published_on_latest=latest,
                language=article.language,
                url=article.url,
                text=text.text,
                body_start=start.start,
                body_end=end.end,
                sha256=article.sha256,
            )
        )
        self.add_evidence(article.id, "article", article.id, evidence)
        self.search.append(SearchDoc("article", article.id, title.text, text.text[start.start : end.end]))
        files = {  # each facts file is optional: an article may have no pledges
            name: self.read_yaml(folder / f"{name}.yaml", KINDS[name]) if (folder / f"{name}.yaml").exists() else None
            for name in ("events", "quotes", "pledges")
        }
        title_line = (0, text.text.find("\n") if "\n" in text.text else len(text.text))
        ctx = _ArticleContext(article.id, text, [title_line, (start.start, end.end)], f"{rel}/")
        self.pending_articles.append((ctx, article, src, files))

    def add_evidence(self, article_id: str, kind: str, fact_id: str, spans: list[tuple[str, Span | None]]) -> None:
        self.rows += [
            Evidence(
                article_id=article_id,
                subject_type=kind,
                subject_id=fact_id,
                role=role,
                start=span.start,
                end=span.end,
                text=span.text,
            )
            for role, span in spans
            if span is not None
        ]

    def add_facts(self, ctx: _ArticleContext, article: ArticleIn, src: Source, files: dict[str, Any]) -> None:
        mentions = self.mentions(ctx, article, src)
        if files["events"] is not None:
            for event_src in self.items(files["events"], "events", ctx.prefix + "events.yaml"):
                self.add_event(ctx, event_src)
        if files["quotes"] is not None:
            for quote_src in self.items(files["quotes"], "quotes", ctx.prefix + "quotes.yaml"):
                self.add_quote(ctx, quote_src, mentions)
        if files["pledges"] is not None:
            for pledge_src in self.items(files["pledges"], "pledges", ctx.prefix + "pledges.yaml"):
                self.add_pledge(ctx, pledge_src)

    # Mentions: derived from names and aliases, settled by curated overrides

    def mentions(self, ctx: _ArticleContext, article: ArticleIn, src: Source) -> list[Mention]:
        taken: dict[tuple[int, int], str | None] = {}
        for i, override in enumerate(article.mentions):
            path: tuple[str | int, ...] = ("mentions", i)
            try:
                span = ctx.text.find(override.text, override.prefix, override.suffix)
            except EvidenceError as exc:
                self.problem(src, path, str(exc))
                continue
            if not any(lo <= span.start and span.end <= hi for lo, hi in ctx.scope):
                self.problem(src, path, f"{span.text!r} at {span.start} is outside the title and the body")
                continue
            self.ref_entity(override.entity, src, (*path, "entity"))
            if any(span.start < e and s < span.end for s, e in taken):
                self.problem(src, path, f"{span.text!r} at {span.start} overlaps another mention override")
                continue
            taken[(span.start, span.end)] = override.entity

        claims: dict[tuple[int, int], set[str]] = defaultdict(set)
        for entity_id, (entity, _) in self.entities.items():
            if self.entity_scope[entity_id] not in (None, ctx.article_id):
                continue  # another article's local entity ("the diplomat" there is not the one here)
            for phrase in {entity.name, *entity.aliases}:
                for lo, hi in ctx.scope:
                    for found in ctx.text.find_words(phrase, lo, hi):
                        claims[found].add(entity_id)
        chosen: list[tuple[int, int, str]] = [(s, e, eid) for (s, e), eid in taken.items() if eid is not None]
        occupied = list(taken)
        for (s, e), owners in sorted(claims.items(), key=lambda kv: (kv[0][0] - kv[0][1], kv[0][0])):
            if any(s < oe and os < e for os, oe in occupied):
                continue
            occupied.append((s, e))
            if len(owners) > 1:
                names = " and ".join(sorted(owners))
                self.problem(
                    src,
                    ("mentions",),
                    f"{ctx.text.text[s:e]!r} at {s} is claimed by {names}; add a mention override",
                )
                continue
            chosen.append((s, e, next(iter(owners))))
        result = [
            Mention(article_id=ctx.article_id, entity_id=eid, start=s, end=e, text=ctx.text.text[s:e])
            for s, e, eid in sorted(chosen)
        ]
        self.rows += result
        return result

    # Facts

    def add_event(self, ctx: _ArticleContext, src: Source) -> None:
        event = self.validate(EventIn, src)
        if event is None or not self.claim_id("event", event.id, src):
            return
        self.events[event.id] = src
        value, earliest, latest, date_span = self.date(ctx.text, event.date, src, ("date",))
        evidence = [("date", date_span)]
        evidence += [("support", self.resolve(ctx.text, r, src, ("evidence", i))) for i, r in enumerate(event.evidence)]
        if not event.evidence:
            self.problem(src, ("evidence",), "an event needs at least one evidence text")
        self.ref_entity(event.location, src, ("location",))
        for i, participant in enumerate(event.participants):
            self.ref_entity(participant.entity, src, ("participants", i, "entity"))
        self.rows.append(
            Event(
                id=event.id,
                article_id=ctx.article_id,
                type=event.type,
                title=event.title,
                description=event.description,
                status=event.status,
                location_id=event.location,
                date=value,
                date_earliest=earliest,
                date_latest=latest,
            )
        )
        seen: set[tuple[str, str]] = set()
        for i, participant in enumerate(event.participants):
            if (participant.entity, participant.role) in seen:
                self.problem(src, ("participants", i), "the same participant and role twice")
                continue
            seen.add((participant.entity, participant.role))
            self.rows.append(
                EventParticipant(event_id=event.id, entity_id=participant.entity, role=participant.role, position=i)
            )
        self.add_evidence(ctx.article_id, "event", event.id, evidence)
        self.search.append(SearchDoc("event", event.id, event.title, f"{event.title} {event.description}"))

    def add_quote(self, ctx: _ArticleContext, src: Source, mentions: list[Mention]) -> None:
        quote = self.validate(QuoteIn, src)
        if quote is None or not self.claim_id("quote", quote.id, src):
            return
        span = self.resolve(ctx.text, quote.text, src, ("text",))
        value, earliest, latest, date_span = self.date(ctx.text, quote.said_on, src, ("said_on",))
        evidence = [
            ("text", span),
            ("attribution", self.resolve(ctx.text, quote.attribution, src, ("attribution",))),
            ("said_on", date_span),
        ]
        evidence += [("support", self.resolve(ctx.text, r, src, ("evidence", i))) for i, r in enumerate(quote.evidence)]
        self.ref_entity(quote.speaker, src, ("speaker",))
        for i, entity_id in enumerate(quote.mentions):
            self.ref_entity(entity_id, src, ("mentions", i))
        if quote.event is not None:
            self.event_refs.append((quote.event, src))
        if span is None:
            return
        inside = [m.entity_id for m in mentions if span.start <= m.start and m.end <= span.end]
        self.rows.append(
            Quote(
                id=quote.id,
                article_id=ctx.article_id,
                speaker_id=quote.speaker,
                kind=quote.kind,
                text=span.text,
                event_id=quote.event,
                said_on=value,
                said_on_earliest=earliest,
                said_on_latest=latest,
            )
        )
        self.rows += [QuoteMention(quote_id=quote.id, entity_id=e) for e in dict.fromkeys(inside + quote.mentions)]
        self.add_evidence(ctx.article_id, "quote", quote.id, evidence)
        self.search.append(SearchDoc("quote", quote.id, span.text, span.text))

    def add_pledge(self, ctx: _ArticleContext, src: Source) -> None:
        pledge = self.validate(PledgeIn, src)
        if pledge is None or not self.claim_id("pledge", pledge.id, src):
            return
        value, earliest, latest, date_span = self.date(ctx.text, pledge.announced_on, src, ("announced_on",))
        purpose = self.resolve(ctx.text, pledge.purpose, src, ("purpose",))
        initiatives = [self.resolve(ctx.text, r, src, ("initiatives", i)) for i, r in enumerate(pledge.initiatives)]
        evidence = [("purpose", purpose), ("announced_on", date_span)]
        evidence += [("initiative", span) for span in initiatives]
        evidence += [
            ("support", self.resolve(ctx.text, r, src, ("evidence", i))) for i, r in enumerate(pledge.evidence)
        ]
        amount = amount_span = None
        if pledge.amount is not None:
            amount_span = self.resolve(ctx.text, pledge.amount.text, src, ("amount", "text"))
            evidence.insert(0, ("amount", amount_span))
            currency = pledge.amount.currency
            if pycountry.currencies.get(alpha_3=currency) is None:
                self.problem(src, ("amount", "currency"), f"{currency!r} is not an ISO 4217 currency code")
            elif amount_span is not None:
                try:
                    stated = parse_amount(amount_span.text, currency)
                except ValueError as exc:
                    self.problem(src, ("amount", "text"), str(exc))
                else:
                    if stated != pledge.amount.amount_minor:
                        self.problem(
                            src,
                            ("amount", "amount_minor"),
                            f"amount_minor {pledge.amount.amount_minor} does not match {amount_span.text!r} "
                            f"({stated} minor units of {currency})",
                        )
                    amount = pledge.amount.amount_minor / 10 ** minor_exponent(currency)
        for role, path in (("donor", ("donor",)), ("announced_by", ("announced_by",))):
            self.ref_entity(getattr(pledge, role), src, path)
        for i, entity_id in enumerate(pledge.recipients):
            self.ref_entity(entity_id, src, ("recipients", i))
        if len(set(pledge.recipients)) != len(pledge.recipients):
            self.problem(src, ("recipients",), "a recipient is listed twice")
        self.rows.append(
            Pledge(
                id=pledge.id,
                article_id=ctx.article_id,
                donor_id=pledge.donor,
                announced_by_id=pledge.announced_by,
                purpose=purpose.text if purpose else None,
                status=pledge.status,
                amount_minor=pledge.amount.amount_minor if pledge.amount else None,
                amount=amount,
                currency=pledge.amount.currency if pledge.amount else None,
                amount_text=amount_span.text if amount_span else None,
                announced_on=value,
                announced_on_earliest=earliest,
                announced_on_latest=latest,
            )
        )
        self.rows += [
            PledgeRecipient(pledge_id=pledge.id, entity_id=e, position=i)
            for i, e in enumerate(dict.fromkeys(pledge.recipients))
        ]
        self.rows += [PledgeInitiative(pledge_id=pledge.id, name=span.text) for span in initiatives if span]
        self.add_evidence(ctx.article_id, "pledge", pledge.id, evidence)
        label = " ".join(filter(None, [amount_span.text if amount_span else None, purpose.text if purpose else None]))
        body = " ".join([label, *(span.text for span in initiatives if span)])
        self.search.append(SearchDoc("pledge", pledge.id, label or pledge.id, body))

    # Whole run

    def run(self) -> Dataset | None:
        if not self.root.is_dir():
            self.problems.append(Problem(str(self.root), 0, "-", "the seed folder does not exist"))
            return None
        registry = self.read_yaml(self.root / "entities.yaml") if (self.root / "entities.yaml").exists() else None
        if registry is None and not self.problems:
            self.problems.append(Problem("seeds/entities.yaml", 0, "-", "the entity registry is missing"))
        if registry is not None:
            for src in self.items(registry, "entities", "seeds/entities.yaml"):
                self.add_entity(src)
        folders = sorted(p for p in (self.root / "articles").glob("*") if p.is_dir())
        if not folders:
            self.problems.append(Problem("seeds/articles", 0, "-", "there are no articles"))
        for folder in folders:
            self.add_article(folder)
        # Facts come after every article's local entities are known, so any article may refer to them.
        for ctx, article, src, files in self.pending_articles:
            self.add_facts(ctx, article, src, files)
        if "entity" not in self.unreadable:
            for entity_id, src, path in self.entity_refs:
                if entity_id not in self.entities and entity_id not in self.invalid_ids:
                    self.problem(src, path, f"unknown entity {entity_id!r}")
        if "event" not in self.unreadable:
            for event_id, src in self.event_refs:
                if event_id not in self.events:
                    self.problem(src, ("event",), f"unknown event {event_id!r}")
        if self.problems:
            return None
        self.count_facts()
        return Dataset(version=seeds_version(self.root), rows=self.rows, search=self.search)

    def count_facts(self) -> None:
        counts: dict[str, dict[str, set[Any]]] = defaultdict(lambda: defaultdict(set))
        for row in self.rows:
            if isinstance(row, Mention):
                counts[row.entity_id]["mention"].add((row.article_id, row.start))
            elif isinstance(row, Quote):
                counts[row.speaker_id]["quote"].add(row.id)
            elif isinstance(row, Pledge):
                for entity_id in (row.donor_id, row.announced_by_id):
                    if entity_id:
                        counts[entity_id]["pledge"].add(row.id)
            elif isinstance(row, PledgeRecipient):
                counts[row.entity_id]["pledge"].add(row.pledge_id)
            elif isinstance(row, EventParticipant):
                counts[row.entity_id]["event"].add(row.event_id)
            elif isinstance(row, Event) and row.location_id:
                counts[row.location_id]["event"].add(row.id)
        for row in self.rows:
            if isinstance(row, Entity):
                row.mention_count = len(counts[row.id]["mention"])
                row.quote_count = len(counts[row.id]["quote"])
                row.pledge_count = len(counts[row.id]["pledge"])
                row.event_count = len(counts[row.id]["event"])


def compile_seeds(root: Path) -> Dataset:
    """Validate every seed file under ``root``; the rows to load, or SeedError listing every problem."""
    compiler = _Compiler(root.resolve())
    dataset = compiler.run()
    if dataset is None:
        raise SeedError(sorted(set(compiler.problems)))
    return dataset
