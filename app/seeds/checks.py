"""The compiler's state and the checks every fact shares: reporting a problem at its line, reading and
validating YAML, claiming ids, entity references, evidence spans and dates, and the evidence rows."""

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlmodel import SQLModel

from app import dates
from app.evidence import ArticleText, EvidenceError, Span
from app.models import MAX_ID_LENGTH, Evidence
from app.seeds.lines import LineDict, UnreadableFile, line_of, read_mapping
from app.seeds.result import Problem, SearchDoc, Source
from app.seeds.shapes import ArticleIn, DateIn, EntityIn, Ref, RefIn

M = TypeVar("M", bound=BaseModel)
KINDS = {"entities": "entity", "events": "event", "quotes": "quote", "pledges": "pledge"}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the closest of ``choices`` to a misspelt ``word``, or nothing."""
    word = str(word)
    best, best_score = "", 0.6  # difflib's own cutoff for "close"
    for choice in choices:  # ties go to the first choice, then to the longer common start ("USX": USD, not UZS)
        score = difflib.SequenceMatcher(None, word, choice).ratio()
        score += 0.01 * next((i for i, (a, b) in enumerate(zip(word, choice, strict=False)) if a != b), len(word))
        if score > best_score:
            best, best_score = choice, score
    return f"; did you mean {best!r}?" if best else ""


def _suggestion(model: type[BaseModel], error: Any) -> str:
    """A did-you-mean for a value outside an enumeration, or a key the shape does not have."""
    if error["type"] == "literal_error":
        return did_you_mean(error["input"], re.findall(r"'([^']*)'", error["ctx"]["expected"]))
    if error["type"] == "extra_forbidden" and len(error["loc"]) == 1:
        return did_you_mean(error["loc"][0], model.model_fields)
    return ""


# --- Compiling -----------------------------------------------------------------------------------------------


@dataclass
class _ArticleContext:
    article_id: str
    text: ArticleText
    scope: list[tuple[int, int]]  # where mentions are looked for: the title line and the body, not the boilerplate
    prefix: str
    published: date | None  # the publication day that relative dates are resolved against (None: not a day)


class _Checks:
    """What every fact is checked with; ``_Facts`` (facts.py) and ``_Compiler`` (compiler.py) build on it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.drafts: list[Problem] = []  # facts `article-facts new` drafted that no curator has reviewed yet
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
        self.article_parts: dict[str, str] = {}  # article id -> its part of the seeds (``articles/<folder>``)
        self.known_entities: dict[str, str] = {}  # entity id -> its article, of the articles not compiled
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
            return read_mapping(path)
        except UnreadableFile as exc:
            self.problems.append(Problem(rel, exc.line, "-", exc.message))
            return None

    def validate(self, model: type[M], src: Source) -> M | None:
        try:
            valid = model.model_validate(src.node)
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(error["loc"])
                where = ".".join(str(part) for part in loc)
                message = (f"{where}: {error['msg']}" if where else error["msg"]) + _suggestion(model, error)
                self.problem(src, loc, message)
            return None
        if getattr(valid, "draft", False):
            line = line_of(src.node, "draft")
            self.drafts.append(Problem(src.file, line, src.fact, "a draft: review it, then delete `draft: true`"))
        return valid

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
        if len(fact_id) > MAX_ID_LENGTH:
            self.problem(src, ("id",), f"id is {len(fact_id)} characters long; the longest allowed is {MAX_ID_LENGTH}")
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
        self,
        text: ArticleText,
        value: DateIn,
        src: Source,
        path: tuple[str | int, ...],
        published: date | None = None,
    ) -> tuple[dict[str, Any], date, date, Span | None]:
        earliest = latest = None
        try:
            if value.relative is not None:
                value = _resolve_relative(value, published)
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


def _resolve_relative(value: DateIn, published: date | None) -> DateIn:
    """A ``relative:`` date as the curator would have written it out by hand (ValueError if it cannot be)."""
    assert value.relative is not None
    given = [name for name in ("value", "precision", "earliest", "latest") if getattr(value, name) is not None]
    if given:
        raise ValueError(f"a relative date takes no {' or '.join(given)}: the rule gives them")
    if published is None:
        raise ValueError("a relative date needs the article's publication day (published_on at day precision)")
    resolved, precision, earliest, latest, basis = dates.relative(value.relative, published)
    return value.model_copy(
        update={
            "value": resolved,
            "precision": precision,
            "earliest": earliest.isoformat() if earliest else None,
            "latest": latest.isoformat(),
            "inferred": True,
            "basis": value.basis or basis,
        }
    )
