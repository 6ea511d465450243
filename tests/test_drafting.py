"""``article-facts new``: a draft that ``check`` accepts for each fixture article, and, on the fixture corpus,
every money amount, every direct and partial quote and every registry mention the curators wrote is drafted
(the full figures, dates included, come from ``python -m tools.draft_eval``)."""

import shutil
from datetime import date
from pathlib import Path

import pytest

from app.cli import main
from app.drafting import draft
from app.drafting.find import sentences
from app.drafting.when import Anchor, date_phrases
from app.drafting.write import registry_of
from app.seeds import compile_seeds
from tests.conftest import SEEDS
from tools.draft_eval import Scores, score

ARTICLES = sorted(p.name for p in (SEEDS / "articles").iterdir())


@pytest.fixture(scope="module")
def scores() -> Scores:
    result = Scores()
    score(SEEDS, result)
    return result


def test_every_money_amount_is_drafted_with_its_currency_and_minor_units(scores: Scores) -> None:
    assert (scores.money.curated, scores.money.right, scores.money.drafted) == (6, 6, 6)


def test_every_direct_and_partial_quote_is_drafted(scores: Scores) -> None:
    assert (scores.quotes.curated, scores.quotes.right, scores.quotes.drafted) == (11, 11, 11)
    assert scores.kinds.right == 11


def test_every_registry_mention_by_name_or_alias_is_drafted(scores: Scores) -> None:
    assert scores.mentions.curated > 100
    assert (scores.mentions.right, scores.mentions.drafted) == (scores.mentions.curated, scores.mentions.curated)


@pytest.mark.parametrize("article_id", ARTICLES)
def test_new_writes_a_draft_that_check_accepts_and_load_refuses(
    article_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    shutil.rmtree(seeds / "articles" / article_id)
    text = SEEDS / "articles" / article_id / "article.txt"
    assert main(["new", str(text), "--id", article_id, "--published-on", article_id[3:13], "--seeds", str(seeds)]) == 0
    folder = seeds / "articles" / article_id
    assert (folder / "article.txt").read_bytes() == text.read_bytes()
    out = capsys.readouterr().out
    drafts = compile_seeds(seeds).drafts
    assert drafts and all(d.file.startswith(f"seeds/articles/{article_id}/") for d in drafts)
    assert out.endswith(f"{seeds}: ok; {len(drafts)} draft(s) to review, then delete `draft: true` from each\n")
    assert main(["load", str(seeds), "--db", str(tmp_path / "facts.sqlite3")]) == 1
    assert capsys.readouterr().err.endswith(f"{len(drafts)} problem(s); nothing was written\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--id", "Not A Slug"], "--id 'Not A Slug' must be a slug: lowercase letters, digits and single hyphens"),
        (["--id", ARTICLES[0]], f"articles/{ARTICLES[0]}/article.yaml exists already: pick another --id"),
        (["--id", "x", "--published-on", "2023-02-30"], "'2023-02-30' is not a valid day"),
    ],
)
def test_new_refuses_what_it_cannot_draft(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    text = SEEDS / "articles" / ARTICLES[0] / "article.txt"
    options = {"--published-on": "2023-02-28", **dict(zip(args[::2], args[1::2], strict=True))}
    argv = ["new", str(text), "--seeds", str(seeds), *(x for pair in options.items() for x in pair)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("article-facts new: ") and message in err
    assert sorted(p.name for p in (seeds / "articles").iterdir()) == ARTICLES  # nothing written


def test_events_are_drafted_where_the_text_names_them(scores: Scores) -> None:
    """Found: a drafted event's evidence overlaps a curated event's (draft_eval.score_events). The figures of
    the fixture corpus, so that a change that loses (or gains) an event is seen."""
    assert (scores.events.curated, scores.events.right, scores.events.drafted) == (20, 19, 20)
    assert scores.event_types.right == 17


# --- Date phrases: the drafting rules of seeds/README.md ("Drafted dates"), on sentences of their own ----------

PUBLISHED = date(2023, 2, 28)  # a Tuesday


def resolve(text: str) -> list[tuple[str, str | None, str | None, date | None, date]]:
    spans = sentences(text, [(0, len(text))])
    return [
        (text[p.start : p.end], p.value, p.precision, p.earliest, p.latest)
        for p in date_phrases(text, spans, 0, len(text), PUBLISHED)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The talks ended two weeks ago.",
            [("two weeks ago", "2023-W07", "week", date(2023, 2, 13), date(2023, 2, 19))],
        ),
        ("It is one year since the war began.", [("one year since", None, None, date(2021, 3, 1), date(2022, 2, 28))]),
        (
            "It came three days after the vote.",
            [("three days after", "2023-02-25", "day", date(2023, 2, 25), date(2023, 2, 25))],
        ),
        (
            "Days after the summit, they met.",
            [("Days after the summit", "2023-02", "month", date(2023, 2, 15), date(2023, 2, 26))],
        ),
        (
            "On Monday, days after the summit, they met.",
            [
                ("On Monday", "2023-02-27", "day", date(2023, 2, 27), date(2023, 2, 27)),
                ("days after the summit", "2023-02", "month", date(2023, 2, 14), date(2023, 2, 25)),
            ],
        ),
        (
            "They met last Friday. She later flew home.",
            [
                ("last Friday", "2023-02-24", "day", date(2023, 2, 24), date(2023, 2, 24)),
                ("later", "2023-02", "month", date(2023, 2, 24), date(2023, 2, 28)),
            ],
        ),
        (
            "They met on Tuesday. She will fly home later.",
            [("on Tuesday", "2023-02-28", "day", date(2023, 2, 28), date(2023, 2, 28))],
        ),
        ("She later flew home.", []),  # no day named before it: nothing to count from
        ("Two years later, it fell.", []),
    ],
)
def test_date_phrases_are_resolved_by_the_documented_rules(
    text: str, expected: list[tuple[str, str | None, str | None, date | None, date]]
) -> None:
    assert resolve(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Talks resumed on 3 March 2022.", [("3 March 2022", "2022-03-03", "day")]),
        ("Talks resumed on March 3.", [("March 3", "2022-03-03", "day")]),  # the latest 3 March by publication
        ("Talks will resume on March 3.", [("March 3", "2023-03-03", "day")]),
        ("Talks resumed in February 2022.", [("February 2022", "2022-02", "month")]),
        ("Talks resumed in 2021.", [("2021", "2021", "year")]),
        (
            "It is one year since the invasion on 24 February 2022.",
            [("one year since", "2022-02-24", "day"), ("24 February 2022", "2022-02-24", "day")],
        ),
        (  # a day written in X that the count does not allow is another X: the count's days stay
            "It is one year since the invasion on 24 February 2020.",
            [("one year since", None, None), ("24 February 2020", "2020-02-24", "day")],
        ),
    ],
)
def test_days_written_out_are_dates_and_anchor_a_count(
    text: str, expected: list[tuple[str, str | None, str | None]]
) -> None:
    assert [phrase[:3] for phrase in resolve(text)] == expected


INVASION = Anchor(
    "russia-invasion-of-ukraine-2022",
    ("Russia's full-scale invasion of Ukraine", "launched a full-scale invasion of Ukraine"),
    date(2022, 2, 24),
)


@pytest.mark.parametrize(
    ("anchors", "expected"),
    [
        ((), [("Days after the anniversary of the invasion", "2023-02"), ("one year since", None)]),
        ((INVASION,), [("Days after the anniversary of the invasion", "2023-02-24"), ("one year since", "2022-02-24")]),
        (  # two known events the words could name: not for a draft to choose
            (INVASION, Anchor("crimea-invasion", ("the invasion of Crimea",), date(2014, 2, 27))),
            [("Days after the anniversary of the invasion", "2023-02"), ("one year since", "2022-02-24")],
        ),
    ],
)
def test_an_event_another_article_dates_anchors_since_after_and_anniversary(
    anchors: tuple[Anchor, ...], expected: list[tuple[str, str | None]]
) -> None:
    """The fixture's first article, as if another article already recorded the invasion's day: "one year since
    Russia launched a full-scale invasion of Ukraine" names it by its evidence text, "the anniversary of the
    invasion" by its title's word (unless another known event has that word too)."""
    article = SEEDS / "articles" / "mt-2023-02-28-blinken-central-asia"
    raw = (article / "article.txt").read_text(encoding="utf-8")
    drafted = draft(raw, "x", date(2023, 2, 28), registry_of(SEEDS), "the-moscow-times", set(), anchors)
    found = {drafted.text.text[p.start : p.end]: p.value for p in drafted.dates}
    assert [(phrase, found[phrase]) for phrase, _ in expected] == expected
