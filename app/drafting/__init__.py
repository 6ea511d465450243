"""``article-facts new``: a draft seed folder for a new article, for a curator to review.

``draft`` reads the article against the entity registry and returns a ``Draft``: the title and body, the
registry's mentions (the compiler's own rules: ``find_claims``/``settle_claims``), candidate new entities, quotes
with a speaker guess, money amounts as pledges, and date phrases resolved by ``app.dates.relative``. ``write``
(``app.drafting.write``) turns it into YAML that ``article-facts check`` accepts, every fact marked
``draft: true``. The finders are in ``app.drafting.find``. Nothing here is imported when serving.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from app.evidence import ArticleText
from app.seeds.facts import find_claims, settle_claims
from app.seeds.shapes import EntityIn

from . import find, when
from .events import DraftEvent, find_events

TYPES_THAT_GIVE = ("country", "organization", "group")
# A speaker the article does not name: "a senior diplomat", "the spokesperson", "one official".
UNNAMED = re.compile(
    r"\b(?:[Aa]n?|[Tt]he|[Oo]ne) (?P<who>(?:[a-z-]+ ){0,2}(?P<head>diplomat|official|spokesperson|spokesman|spokeswoman"
    r"|source|minister|analyst|expert|aide|officer|representative|adviser|advisor|lawmaker|negotiator|person))\b"
)


@dataclass
class LocalEntity:
    id: str
    name: str
    type: str
    aliases: list[str]
    why: str


@dataclass
class DraftQuote:
    quote: find.Quotation
    speaker: str
    date: when.DatePhrase | None


@dataclass
class DraftPledge:
    amount: find.Amount
    donor: str
    announced_by: str | None
    recipients: list[str]
    purpose: tuple[int, int] | None
    date: when.DatePhrase | None
    previous: bool  # "a previous $25 million": announced before, not new


@dataclass
class Draft:
    article_id: str
    text: ArticleText
    published: date
    layout: find.Layout
    publisher: str
    mentions: list[tuple[int, int, str]]  # (start, end, entity id), as the compiler will derive them
    conflicts: list[tuple[int, int, set[str]]]  # spans two entities claim: the writer drafts an override
    dropped: list[tuple[int, int]]  # names inside an amount ("US" of "US$"): overridden as no mention
    local: list[LocalEntity] = field(default_factory=list)
    candidates: Counter[str] = field(default_factory=Counter)
    quotes: list[DraftQuote] = field(default_factory=list)
    pledges: list[DraftPledge] = field(default_factory=list)
    dates: list[when.DatePhrase] = field(default_factory=list)
    events: list[DraftEvent] = field(default_factory=list)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("’", "").replace("'", "")).strip("-")[:60].strip("-")


def draft(
    raw: str,
    article_id: str,
    published: date,
    registry: dict[str, EntityIn],
    publisher: str | None,
    taken: set[str],
    anchors: tuple[when.Anchor, ...] = (),
) -> Draft:
    """The draft of one article. ``taken``: every id already used in the seeds (a new local entity avoids them);
    ``anchors``: the dated events other articles record, which its date phrases may count from."""
    text = ArticleText(raw)
    layout = find.layout(raw)
    first_line = raw.find("\n") if "\n" in raw else len(raw)
    scope = [(0, first_line), layout.body]  # where the compiler looks for mentions: the title line and the body
    sentence_spans = find.sentences(raw, layout.paragraphs)
    phrases = {eid: {e.name, *e.aliases} for eid, e in registry.items()}
    registry_mentions, _ = settle_claims(find_claims(text, scope, phrases), {})
    covered = [(s, e) for s, e, _ in registry_mentions]
    candidates = find.proper_nouns(raw, *layout.body, covered)

    local: dict[str, LocalEntity] = {}
    publisher_id = publisher or _publisher(raw, layout, registry, local, taken)
    quotations = find.quotations(raw, sentence_spans, *layout.body)
    date_phrases = when.date_phrases(raw, sentence_spans, *layout.body, published, anchors)

    def in_sentence(at: int) -> when.DatePhrase | None:
        s0, s1 = find.enclosing(sentence_spans, at)
        # Not a phrase that dates something it names ("one year since the invasion" dates the invasion).
        return next((d for d in date_phrases if s0 <= d.start < s1 and d.about is None), None)

    speakers: list[str] = []
    for q in quotations:
        speakers.append(_speaker(raw, q, registry, registry_mentions, candidates, local, taken, speakers))
    phrases.update({e.id: {e.name, *e.aliases} for e in local.values()})
    mentions, conflicts = settle_claims(find_claims(text, scope, phrases), {})
    money = find.amounts(raw, 0, first_line) + find.amounts(raw, *layout.body)
    # "US" in "US$1.5 million" is the currency's mark, not the state: an override drops it.
    dropped = [(s, e) for s, e, _ in mentions if any(a.start <= s and e <= a.end for a in money)]
    mentions = [m for m in mentions if (m[0], m[1]) not in dropped]
    types = {eid: e.type for eid, e in registry.items()} | {e.id: e.type for e in local.values()}
    pledges = [
        _pledge(raw, amount, find.enclosing(sentence_spans, amount.start), mentions, types, registry, publisher_id)
        for amount in find.amounts(raw, *layout.body)
    ]
    for p in pledges:  # the date phrase next to the amount ("$25 million announced in September"), if any
        s0, s1 = find.enclosing(sentence_spans, p.amount.start)
        near = [d for d in date_phrases if s0 <= d.start < s1 and _gap(p.amount, d) <= NEAR]
        p.date = min(near, key=lambda d: _gap(p.amount, d), default=None)
    result = Draft(
        article_id, text, published, layout, publisher_id, mentions, conflicts, dropped, list(local.values())
    )
    result.candidates = Counter(
        {name: n for name, n in candidates.items() if not any(name in {e.name, *e.aliases} for e in local.values())}
    )
    result.quotes = [DraftQuote(q, who, in_sentence(q.start)) for q, who in zip(quotations, speakers, strict=True)]
    result.pledges = pledges
    result.dates = date_phrases
    result.events = find_events(
        raw, sentence_spans, *layout.body, date_phrases, mentions, types, publisher_id, published
    )
    return result


NEAR = 40  # characters between an amount and its date phrase ("$25 million announced in September")


def _gap(amount: find.Amount, phrase: when.DatePhrase) -> int:
    return phrase.start - amount.end if phrase.start >= amount.end else amount.start - phrase.end


def _local(local: dict[str, LocalEntity], taken: set[str], name: str, kind: str, why: str) -> str:
    """The id of the article-local entity called ``name``, drafted on first use."""
    for entity in local.values():
        if name == entity.name or name in entity.aliases:
            return entity.id
    base = slug(name) or "unnamed"
    entity_id, n = base, 1
    while entity_id in taken or entity_id in local:
        n += 1
        entity_id = f"{base}-{n}"
    local[entity_id] = LocalEntity(entity_id, name, kind, [], why)
    return entity_id


def _publisher(
    raw: str, layout: find.Layout, registry: dict[str, EntityIn], local: dict[str, LocalEntity], taken: set[str]
) -> str:
    """The registry entity named after the title (" – The Moscow Times"), else a new local one."""
    name = raw[layout.publisher[0] : layout.publisher[1]].strip() if layout.publisher else ""
    for entity_id, entity in registry.items():
        if name and name in {entity.name, *entity.aliases}:
            return entity_id
    return _local(local, taken, name or "Unknown publisher", "organization", "the name after the title")


def _speaker(
    raw: str,
    q: find.Quotation,
    registry: dict[str, EntityIn],
    mentions: list[tuple[int, int, str]],
    candidates: Counter[str],
    local: dict[str, LocalEntity],
    taken: set[str],
    earlier: list[str],
) -> str:
    """Who said it: a registry person named in the attribution, else a new name there (a local entity), else any
    registry entity there ("Washington said"), else the previous quote's speaker ("The diplomat said")."""
    if q.attribution is not None:
        a0, a1 = q.attribution
        named = [eid for s, e, eid in mentions if a0 <= s and e <= a1]
        people = [eid for eid in named if registry[eid].type == "person"]
        if people:
            return people[0]
        if raw.startswith(("who ", "which "), a0):  # "President Tokayev, who voiced": the name just before
            before = [(e, eid) for s, e, eid in mentions if e <= a0 and registry[eid].type == "person"]
            if before:
                return max(before)[1]
        for name in sorted(candidates, key=lambda n: -len(n)):
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", raw[a0:a1]):
                full = next((c for c in candidates if c != name and c.endswith(" " + name)), name)
                entity_id = _local(local, taken, full, "person", f"speaker of “{raw[q.start : q.end][:40]}…”")
                surname = name if full != name else full.split(" ")[-1]
                if surname != full and surname not in local[entity_id].aliases:
                    local[entity_id].aliases.append(surname)
                return entity_id
        unnamed = UNNAMED.search(raw, a0, a1)
        if unnamed is not None:
            head = unnamed["head"]
            for entity in local.values():  # "The diplomat said" after "a senior diplomat ... said"
                if entity.name.startswith("unnamed ") and entity.name.endswith(head):
                    return entity.id
            quoted = raw[q.start : q.end][:40]
            return _local(local, taken, f"unnamed {unnamed['who']}", "person", f"speaker of “{quoted}…”")
        if named:
            return named[0]
    if earlier:
        return earlier[-1]
    return _local(local, taken, "unnamed source", "person", "a quote with no speaker named near it")


def _pledge(
    raw: str,
    amount: find.Amount,
    sentence: tuple[int, int],
    mentions: list[tuple[int, int, str]],
    types: dict[str, str],
    registry: dict[str, EntityIn],
    publisher: str,
) -> DraftPledge:
    """Who gives (a country or organization before the amount in its sentence, else the organization of the person
    who announced it), to whom (those after it), and for what ("for ..." or "to help ..." after it)."""
    s0, s1 = sentence
    inside = [(s, eid) for s, e, eid in mentions if s0 <= s and e <= s1]
    before = [eid for s, eid in inside if s < amount.start]
    after = [eid for s, eid in inside if s >= amount.end]
    people = [eid for _, eid in inside if types.get(eid) == "person"]
    givers = [eid for eid in before if types.get(eid) in TYPES_THAT_GIVE]
    donor = givers[0] if givers else None
    if donor is None and people and people[0] in registry:
        donor = next((a.organization for a in registry[people[0]].affiliations if a.organization), None)
    donor = donor or next((eid for _, eid in inside if types.get(eid) in TYPES_THAT_GIVE), publisher)
    recipients = [eid for eid in dict.fromkeys(after) if types.get(eid) in (*TYPES_THAT_GIVE, "place")]
    recipients = [eid for eid in recipients if eid != donor]
    purpose = re.search(
        r"\b(?:for|to help|to support|to fund|to build|to modernise|to modernize) [^,.;:]+", raw[amount.end : s1]
    )
    span = (amount.end + purpose.start(), amount.end + purpose.end()) if purpose else None
    earlier = re.search(r"\b(?:previous|previously|earlier|already)\W+(?:\w+\W+)?$", raw[s0 : amount.start])
    return DraftPledge(amount, donor, people[0] if people else None, recipients, span, None, earlier is not None)
