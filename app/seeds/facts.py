"""The facts of one article: its mentions, then its events, quotes and pledges; each ``add_*`` builds the
table rows and the ``SearchDoc`` of one fact."""

from collections import defaultdict
from datetime import date
from typing import Any

import pycountry

from app.evidence import ArticleText, EvidenceError
from app.models import (
    Event,
    EventParticipant,
    Mention,
    Pledge,
    PledgeInitiative,
    PledgeRecipient,
    Quote,
    QuoteMention,
    usd_order,
)
from app.seeds.checks import _ArticleContext, _Checks, did_you_mean
from app.seeds.money import minor_exponent, parse_amount, usd_equivalent
from app.seeds.result import SearchDoc, Source
from app.seeds.shapes import ArticleIn, EventIn, PledgeIn, QuoteIn


class _Facts(_Checks):
    """The facts of one article, on top of the shared checks; ``_Compiler`` (compiler.py) calls them in order."""

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

        for entity_id in article.aliases:
            self.ref_entity(entity_id, src, ("aliases", entity_id))
        phrases = {
            entity_id: {entity.name, *entity.aliases, *article.aliases.get(entity_id, [])}
            for entity_id, (entity, _) in self.entities.items()
            # another article's local entity ("the diplomat" there is not the one here) is not looked for
            if self.entity_scope[entity_id] in (None, ctx.article_id)
        }
        chosen, conflicts = settle_claims(find_claims(ctx.text, ctx.scope, phrases), taken)
        for s, e, owners in conflicts:
            names = " and ".join(sorted(owners))
            self.problem(
                src, ("mentions",), f"{ctx.text.text[s:e]!r} at {s} is claimed by {names}; add a mention override"
            )
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
        value, earliest, latest, date_span = self.date(ctx.text, event.date, src, ("date",), ctx.published)
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
        value, earliest, latest, date_span = self.date(ctx.text, quote.said_on, src, ("said_on",), ctx.published)
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
        value, earliest, latest, date_span = self.date(
            ctx.text, pledge.announced_on, src, ("announced_on",), ctx.published
        )
        purpose = self.resolve(ctx.text, pledge.purpose, src, ("purpose",))
        initiatives = [self.resolve(ctx.text, r, src, ("initiatives", i)) for i, r in enumerate(pledge.initiatives)]
        evidence = [("purpose", purpose), ("announced_on", date_span)]
        evidence += [("initiative", span) for span in initiatives]
        evidence += [
            ("support", self.resolve(ctx.text, r, src, ("evidence", i))) for i, r in enumerate(pledge.evidence)
        ]
        amount = amount_span = usd = None
        if pledge.amount is not None:
            amount_span = self.resolve(ctx.text, pledge.amount.text, src, ("amount", "text"))
            evidence.insert(0, ("amount", amount_span))
            currency = pledge.amount.currency
            if pycountry.currencies.get(alpha_3=currency) is None:
                codes = (c.alpha_3 for c in pycountry.currencies)
                self.problem(
                    src,
                    ("amount", "currency"),
                    f"{currency!r} is not an ISO 4217 currency code{did_you_mean(currency.upper(), codes)}",
                )
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
                    usd = usd_equivalent(pledge.amount.amount_minor, currency, *_rate_day(value, earliest, latest))
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
                usd=usd["amount"] if usd else None,
                usd_equivalent=usd,
                **usd_order(usd["amount"] if usd else None),
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


def find_claims(
    text: ArticleText, scope: list[tuple[int, int]], phrases: dict[str, set[str]]
) -> dict[tuple[int, int], set[str]]:
    """Every whole-word occurrence of each entity's phrases (name and aliases) in ``scope``, and who claims it."""
    claims: dict[tuple[int, int], set[str]] = defaultdict(set)
    for entity_id, names in phrases.items():
        for phrase in names:
            for lo, hi in scope:
                for found in text.find_words(phrase, lo, hi):
                    claims[found].add(entity_id)
    return claims


def settle_claims(
    claims: dict[tuple[int, int], set[str]], taken: dict[tuple[int, int], str | None]
) -> tuple[list[tuple[int, int, str]], list[tuple[int, int, set[str]]]]:
    """The mentions: the overrides ``taken`` first, then each claimed span, longest first, that overlaps none
    chosen before it ("top U.S. diplomat" wins over "U.S."); and the spans claimed by more than one entity."""
    chosen: list[tuple[int, int, str]] = [(s, e, eid) for (s, e), eid in taken.items() if eid is not None]
    occupied = list(taken)
    conflicts = []
    for (s, e), owners in sorted(claims.items(), key=lambda kv: (kv[0][0] - kv[0][1], kv[0][0])):
        if any(s < oe and os < e for os, oe in occupied):
            continue
        occupied.append((s, e))
        if len(owners) > 1:
            conflicts.append((s, e, owners))
        else:
            chosen.append((s, e, next(iter(owners))))
    return chosen, conflicts


def _rate_day(value: dict[str, Any], earliest: date, latest: date) -> tuple[date, str]:
    """The day whose exchange rate values a pledge, and why: the last day of its announcement date range, when the
    amount was surely known (its day; the end of its week, month or year; or the day it was announced by)."""
    if latest != date.max:
        if value["value"] is None:
            return latest, f"the day it was announced by ({latest})"
        if value["precision"] == "day":
            return latest, "the announcement day"
        return latest, f"the last day of the announcement date range ({value['value']})"
    return earliest, f"the first day of an announcement date range with no end ({earliest} on)"
