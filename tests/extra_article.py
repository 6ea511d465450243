"""A generated extra article for a copy of the curated seeds: CI adds it and runs the whole suite, to show that a
curator adding an article breaks no test (``python -m tests.extra_article SEEDS_COPY``).

It uses only entities of the shared registry (the United States, Kazakhstan, Astana), a no-break space and curly
quotes, and carries a quote, a pledge in euros and an event, all with evidence: the loader checks every one.
"""

import hashlib
import sys
from pathlib import Path

ID = "generated-2024-05-06-extra-article"
TEXT = (
    "United States Pledges €3 Million to Kazakhstan – The Moscow Times\n\n"
    "The United States on Monday pledged €3\u00a0million to Kazakhstan for water projects near Astana.\n\n"
    "“This is only the start,” an envoy said at the ceremony.\n\n"
    "Source link\n"
)
ARTICLE = """\
id: {id}
sha256: {sha256}
language: en
url: null
title: United States Pledges €3 Million to Kazakhstan
publisher: {{entity: the-moscow-times, text: The Moscow Times}}
published_on: {{value: 2024-05-06, precision: day, inferred: true, basis: Generated for CI (a Monday).}}
body: {{start: The United States on Monday, end: at the ceremony.}}
entities:
  - {{id: generated-envoy, type: person, name: Unnamed envoy, aliases: [an envoy], description: Generated for CI.}}
"""
FACTS = {
    "quotes.yaml": """\
quotes:
  - id: generated-only-the-start
    speaker: generated-envoy
    kind: direct
    text: This is only the start
    attribution: an envoy said at the ceremony
    said_on: {value: 2024-05-06, precision: day, inferred: true, basis: Said at the ceremony (Mon 2024-05-06).}
""",
    "pledges.yaml": """\
pledges:
  - id: generated-us-3m-eur-water
    donor: united-states
    recipients: [kazakhstan]
    amount: {text: €3 million, amount_minor: 300000000, currency: EUR}
    purpose: for water projects near Astana
    status: new
    announced_on: {value: 2024-05-06, precision: day, text: on Monday, inferred: true, basis: Publication day.}
""",
    "events.yaml": """\
events:
  - id: generated-water-ceremony
    type: announcement
    title: Water projects ceremony
    description: The pledge is announced at a ceremony.
    date: {value: 2024-05-06, precision: day, text: on Monday, inferred: true, basis: Publication day.}
    status: occurred
    location: kazakhstan
    evidence: [at the ceremony]
""",
}


def add_article(seeds: Path, tag: str = "") -> Path:
    """Write the article into ``seeds``; ``tag`` makes every id its own (to add it twice)."""
    folder = seeds / "articles" / (ID + tag)
    folder.mkdir(parents=True)
    raw = TEXT.encode("utf-8")
    (folder / "article.txt").write_bytes(raw)
    article = ARTICLE.format(id=ID + tag, sha256=hashlib.sha256(raw).hexdigest())
    for name, content in {"article.yaml": article, **FACTS}.items():
        for generated in (
            "generated-envoy",
            "generated-only-the-start",
            "generated-us-3m-eur-water",
            "generated-water-ceremony",
        ):
            content = content.replace(generated, generated + tag)
        (folder / name).write_text(content, encoding="utf-8")
    return folder


if __name__ == "__main__":
    print(add_article(Path(sys.argv[1])))
