"""The compiler: entities -> each article (text, evidence, dates) -> its mentions -> its events, quotes and
pledges -> references checked last. ``compile_seeds`` is the entry point."""

import hashlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pycountry

from app.evidence import ArticleText, Span, fold
from app.models import (
    MAX_LABEL_LENGTH,
    Article,
    Entity,
    EntityAffiliation,
    EntityAlias,
    Event,
    EventParticipant,
    Mention,
    Pledge,
    PledgeRecipient,
    Quote,
)
from app.seeds.checks import KINDS, _ArticleContext, did_you_mean
from app.seeds.facts import _Facts
from app.seeds.result import Dataset, Known, Problem, SearchDoc, SeedError, Source, seed_parts
from app.seeds.shapes import ArticleIn, EntityIn


class _Compiler(_Facts):
    """The whole run: the registry's entities, each article and its local entities, then every article's facts."""

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
            self.problem(
                src,
                ("country_code",),
                f"{entity.country_code!r} is not an ISO 3166-1 alpha-2 code"
                + did_you_mean(entity.country_code.upper(), (c.alpha_2 for c in pycountry.countries)),
            )
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
        self.article_parts[article.id] = f"articles/{folder.name}"
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
        if title is not None and len(title.text) > MAX_LABEL_LENGTH:
            self.problem(src, ("title",), f"the title is over {MAX_LABEL_LENGTH} characters long")
            title = None
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
        day = earliest if published["precision"] == "day" else None
        ctx = _ArticleContext(article.id, text, [title_line, (start.start, end.end)], f"{rel}/", day)
        self.pending_articles.append((ctx, article, src, files))

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

    # Whole run

    def know(self, known: Known) -> None:
        """Take the ids that the parts not compiled define as given: a duplicate of one is reported, a reference
        to one is not unknown (``compile_seeds(only=...)``)."""
        for kind, ids in known.ids.items():
            for fact_id, part in ids.items():
                self.fact_ids[kind][fact_id] = Source(part, {}, fact_id)
        self.events.update((event_id, self.fact_ids["event"][event_id]) for event_id in known.ids.get("event", {}))
        self.known_entities = dict(known.entity_scope)
        self.entity_scope.update(known.entity_scope)  # local to their articles: never looked for in these ones

    def run(self, only: set[str] | None = None, version: str | None = None) -> Dataset | None:
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
        if only is not None:
            folders = [p for p in folders if f"articles/{p.name}" in only]
        elif not folders:
            self.problems.append(Problem("seeds/articles", 0, "-", "there are no articles"))
        for folder in folders:
            self.add_article(folder)
        # Facts come after every article's local entities are known, so any article may refer to them.
        for ctx, article, src, files in self.pending_articles:
            self.add_facts(ctx, article, src, files)
        if "entity" not in self.unreadable:
            known = [*self.entities, *self.known_entities]
            for entity_id, src, path in self.entity_refs:
                if entity_id not in self.entities and entity_id not in self.known_entities.keys() | self.invalid_ids:
                    self.problem(src, path, f"unknown entity {entity_id!r}{did_you_mean(entity_id, known)}")
        if "event" not in self.unreadable:
            for event_id, src in self.event_refs:
                if event_id not in self.events:
                    self.problem(src, ("event",), f"unknown event {event_id!r}{did_you_mean(event_id, self.events)}")
        if self.problems:
            return None
        self.count_facts()
        hashes: dict[str, str] = {}
        if version is None:
            version, hashes = seed_parts(self.root)
        parts: dict[str, tuple[str | None, list[str]]] = {"entities.yaml": (None, [])}
        parts.update((part, (article_id, [])) for article_id, part in self.article_parts.items())
        part_of_article = {article_id: part for part, (article_id, _) in parts.items()}
        for entity_id in self.entities:
            parts[part_of_article[self.entity_scope[entity_id]]][1].append(entity_id)
        return Dataset(version, self.rows, self.search, self.drafts, hashes, parts)

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


def compile_seeds(
    root: Path, only: set[str] | None = None, known: Known | None = None, version: str | None = None
) -> Dataset:
    """Validate every seed file under ``root``; the rows to load, or SeedError listing every problem.

    ``only``: compile the registry and just these articles (``articles/<folder>``), taking what the others define
    as ``known`` (``app/incremental.py``); the entity counts are then those of these articles alone."""
    compiler = _Compiler(root.resolve())
    if known is not None:
        compiler.know(known)
    dataset = compiler.run(only, version)
    if dataset is None:
        raise SeedError(sorted(set(compiler.problems)))
    return dataset
