"""A ``Draft`` as a seed folder: ``article.txt`` copied byte for byte and YAML that ``article-facts check`` accepts,
every drafted fact marked ``draft: true``, what needs a human decision left as comments."""

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app import dates
from app.evidence import ArticleText, EvidenceError
from app.models import Event, Evidence
from app.seeds import SeedError, compile_seeds
from app.seeds.lines import read_mapping
from app.seeds.shapes import EntityIn

from . import Draft, draft, slug, when
from .events import DraftEvent

Ref = str | dict[str, str]


def ref(text: ArticleText, start: int, end: int) -> Ref:
    """The evidence ref of ``[start, end)``: the words alone if they occur once, else with as few words after
    (or before) them as pick this occurrence."""
    words = text.text[start:end]
    for n in range(12):
        after = re.match(rf"(?:\W*\w+){{{n}}}", text.text[end:])
        suffix = after[0] if after else ""
        before = re.search(rf"(?:\w+\W*){{{n}}}$", text.text[:start])
        prefix = before[0] if before else ""
        for extra in ({"suffix": suffix}, {"prefix": prefix}):
            try:
                if text.find(words, **extra).start == start:
                    return {"text": words, **extra} if n else words
            except EvidenceError:
                continue
    raise ValueError(f"cannot point at {words!r} at {start} uniquely")


def date_of(draft: Draft, phrase: when.DatePhrase | None) -> dict[str, Any]:
    """A seed date: the phrase in the fact's sentence resolved by the rules, else the publication day."""
    if phrase is None:
        return {
            "value": draft.published.isoformat(),
            "precision": "day",
            "inferred": True,
            "basis": f"No date phrase in its sentence: the publication day ({draft.published}); check it.",
        }
    result: dict[str, Any] = {"value": phrase.value, "precision": phrase.precision}
    bounds = dates.period(phrase.value, phrase.precision) if phrase.value and phrase.precision else (None, None)
    if phrase.earliest and phrase.earliest != bounds[0]:
        result["earliest"] = phrase.earliest.isoformat()
    if phrase.latest != bounds[1]:
        result["latest"] = phrase.latest.isoformat()
    result |= {"text": ref(draft.text, phrase.start, phrase.end), "inferred": True, "basis": phrase.basis}
    return result


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=False)


def _unique(base: str, taken: set[str]) -> str:
    fact_id, n = base[:90].strip("-"), 1
    while fact_id in taken:
        n += 1
        fact_id = f"{base[:90].strip('-')}-{n}"
    taken.add(fact_id)
    return fact_id


def write(draft: Draft, raw: bytes, folder: Path, taken: set[str]) -> list[Path]:
    """Write the draft into ``folder`` (which must not hold an article yet); the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    text, layout = draft.text, draft.layout
    files: dict[str, bytes | str] = {"article.txt": raw}
    body_start = re.match(r"(?:\W*\w+){1,6}", text.text[layout.body[0] : layout.body[1]])
    body_end = re.search(r"(?:\w+\W*){1,6}$", text.text[layout.body[0] : layout.body[1]])
    assert body_start is not None and body_end is not None  # a body has at least one word
    publisher: dict[str, Any] = {"entity": draft.publisher}
    if layout.publisher:
        publisher["text"] = ref(text, *layout.publisher)
    article: dict[str, Any] = {
        "id": draft.article_id,
        "draft": True,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "language": "en",
        "url": None,
        "title": ref(text, *layout.title),
        "publisher": publisher,
        "published_on": {
            "value": draft.published.isoformat(),
            "precision": "day",
            "inferred": True,
            "basis": "Given to `article-facts new --published-on`; check it against the source.",
        },
        "body": {
            "start": ref(text, layout.body[0], layout.body[0] + body_start.end()),
            "end": ref(text, layout.body[0] + body_end.start(), layout.body[1]),
        },
    }
    if draft.local:
        article["entities"] = [
            {"id": e.id, "type": e.type, "name": e.name, "aliases": e.aliases, "description": f"Drafted: {e.why}."}
            for e in draft.local
        ]
    overrides = []
    claimed = [(s, e, sorted(owners)[0]) for s, e, owners in draft.conflicts]  # the first of those who claim it
    for s, e, entity in sorted([*claimed, *((s, e, None) for s, e in draft.dropped)]):
        where = ref(text, s, e)
        overrides.append({"entity": entity, **(where if isinstance(where, dict) else {"text": where})})
    if overrides:
        article["mentions"] = overrides
    header = "# Drafted by `article-facts new`: review every value, then delete `draft: true`.\n"
    files["article.yaml"] = header + _dump(article) + _mention_notes(draft)

    quotes = []
    for q in draft.quotes:
        words = " ".join(re.findall(r"\w+", text.text[q.quote.start : q.quote.end])[:5])
        quote: dict[str, Any] = {
            "id": _unique(slug(f"{q.speaker.split('-')[-1]} {words}"), taken),
            "draft": True,
            "speaker": q.speaker,
            "kind": "direct" if q.quote.direct else "partial",
            "text": ref(text, q.quote.start, q.quote.end),
        }
        if q.quote.attribution:
            quote["attribution"] = ref(text, *q.quote.attribution)
        quote["said_on"] = date_of(draft, q.date)
        quotes.append(quote)
    pledges = []
    for p in draft.pledges:
        amount_text = text.text[p.amount.start : p.amount.end]
        pledge: dict[str, Any] = {
            "id": _unique(slug(f"{p.donor} {amount_text} {draft.published.year}"), taken),
            "draft": True,
            "donor": p.donor,
            "announced_by": p.announced_by,
            "recipients": p.recipients,
            "amount": {
                "text": ref(text, p.amount.start, p.amount.end),
                "amount_minor": p.amount.amount_minor,
                "currency": p.amount.currency,
            },
            "status": "previously_announced" if p.previous else "new",
            "announced_on": date_of(draft, p.date),
        }
        if p.purpose:
            pledge["purpose"] = ref(text, *p.purpose)
        pledges.append(pledge)
    notes = "".join(
        f"# {p.amount.currency} for {text.text[p.amount.start : p.amount.end]!r}: {p.amount.note}\n"
        for p in draft.pledges
        if p.amount.note
    )
    files["quotes.yaml"] = "# Drafted quotes: check speaker, kind and date.\n" + _dump({"quotes": quotes})
    files["pledges.yaml"] = (
        "# Drafted pledges: check donor, recipients, status.\n" + notes + _dump({"pledges": pledges})
    )
    header = "# Drafted events: check type, title, date, status, location and each participant's role.\n"
    files["events.yaml"] = (
        header + _date_notes(draft) + _dump({"events": [_event(draft, e, taken) for e in draft.events]})
    )
    written = []
    for name, content in files.items():
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        written.append(path)
    return written


def event_date(event: DraftEvent) -> dict[str, Any]:
    """The seed date of an event with no date phrase: its bounds, as a period when they fit in one."""
    assert event.earliest is not None or event.latest is not None  # events.find_events gives it one at least
    value, precision = when.period_of(event.earliest, event.latest) if event.earliest and event.latest else (None, None)
    result: dict[str, Any] = {"value": value, "precision": precision} if value else {"value": None}
    bounds = dates.period(value, precision) if value and precision else (None, None)
    if event.earliest and event.earliest != bounds[0]:
        result["earliest"] = event.earliest.isoformat()
    if event.latest and event.latest != bounds[1]:
        result["latest"] = event.latest.isoformat()
    return result | {"inferred": True, "basis": event.basis + " Check it."}


def _event(draft: Draft, event: DraftEvent, taken: set[str]) -> dict[str, Any]:
    """An event as seed YAML."""
    text = draft.text.text
    words = text[event.evidence[0][0] : event.evidence[0][1]]
    if len(words) > 80:
        words = words[: words.rfind(" ", 0, 80)] + "…"
    kind = event.type.replace("_", " ")
    who = event.participants[0] if event.participants else event.location or ""
    when_ = event.date.value if event.date and event.date.value else draft.published.isoformat()
    date = date_of(draft, event.date) if event.date is not None else event_date(event)
    result: dict[str, Any] = {
        "id": _unique(slug(f"{kind} {who} {when_}"), taken),
        "draft": True,
        "type": event.type,
        "title": f"{kind.capitalize()}: {words}",
        "description": f"Drafted from “{text[event.evidence[0][0] : event.evidence[0][1]]}”.",
        "date": date,
        "status": "planned" if event.planned else "occurred",
        "location": event.location,
        "participants": [{"entity": entity_id, "role": "participant"} for entity_id in event.participants],
        "evidence": [ref(draft.text, lo, hi) for lo, hi in event.evidence],
    }
    return result


def _mention_notes(draft: Draft) -> str:
    counts: dict[str, int] = {}
    for _, _, entity_id in draft.mentions:
        counts[entity_id] = counts.get(entity_id, 0) + 1
    lines = ["", "# Mentions the loader will derive (registry names and aliases):"]
    lines += [f"#   {entity_id}: {n}" for entity_id, n in sorted(counts.items())]
    lines += ["# Candidate new entities (capitalised phrases no entity names), with counts: add the real ones to"]
    lines += ["# seeds/entities.yaml or under `entities:` above."]
    lines += [f"#   {name}: {n}" for name, n in draft.candidates.most_common()]
    return "\n".join(lines) + "\n"


def _date_notes(draft: Draft) -> str:
    on = f"{draft.published:%a} {draft.published}"
    lines = [f'# Every date phrase, published {on}, resolved by seeds/README.md\'s "Drafted dates":']
    for d in draft.dates:
        phrase = draft.text.text[d.start : d.end]
        span = f"{d.value} ({d.precision})" if d.value else f"on or before {d.latest}"
        span = f"from {d.earliest} to {d.latest}" if d.earliest and not d.value else span
        lines.append(f"#   {phrase!r} at {d.start}: {span}. {d.basis}")
    return "\n".join(lines) + "\n"


def registry_of(seeds: Path) -> dict[str, EntityIn]:
    """The shared registry's valid entities (``check`` reports the others)."""
    path = seeds / "entities.yaml"
    items = read_mapping(path).get("entities", []) if path.exists() else []
    found = {}
    for item in items if isinstance(items, list) else []:
        try:
            entity = EntityIn.model_validate(item)
        except ValidationError:
            continue
        found[entity.id] = entity
    return found


def anchors_of(rows: list[Any], article_id: str) -> tuple[when.Anchor, ...]:
    """The events of the other articles whose day is known, with their titles and evidence texts: the days a new
    article's "one year since X" may count from."""
    texts: dict[str, list[str]] = {}
    for row in rows:
        if isinstance(row, Evidence) and row.subject_type == "event" and row.role == "support":
            texts.setdefault(row.subject_id, []).append(row.text)
    return tuple(
        when.Anchor(e.id, (e.title, *texts.get(e.id, [])), e.date_earliest)
        for e in rows
        if isinstance(e, Event) and e.article_id != article_id and e.date_earliest == e.date_latest
    )


def ids_in(seeds: Path) -> set[str]:
    """Every id written anywhere in the seeds: a drafted id must not repeat one."""
    return {
        m[1]
        for path in seeds.rglob("*.yaml")
        for m in re.finditer(r"(?m)^[ -]*id: *([a-z0-9-]+)", path.read_text(encoding="utf-8", errors="replace"))
    }


def new_article(source: Path, seeds: Path, article_id: str, published_on: str, publisher: str | None) -> list[Path]:
    """``article-facts new``: draft ``seeds/articles/<article_id>/`` from the text at ``source``; the files
    written. ValueError (with what to do) when it cannot."""
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", article_id):
        raise ValueError(f"--id {article_id!r} must be a slug: lowercase letters, digits and single hyphens")
    published = dates.parse_day(published_on)
    folder = seeds / "articles" / article_id
    if (folder / "article.yaml").exists():
        raise ValueError(f"{folder}/article.yaml exists already: pick another --id, or delete the folder")
    try:
        raw = source.read_bytes()
        decoded = raw.decode("utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {source}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{source} is not UTF-8 text") from None
    taken = ids_in(seeds)
    try:
        anchors = anchors_of(compile_seeds(seeds).rows, article_id)
    except SeedError:  # a corpus with problems still gets its drafts, without the days its events know
        anchors = ()
    result = draft(decoded, article_id, published, registry_of(seeds), publisher, taken, anchors)
    return write(result, raw, folder, taken)
