"""``article-facts new``: a draft that ``check`` accepts for each fixture article, and, on the fixture corpus,
every money amount, every direct and partial quote and every registry mention the curators wrote is drafted
(the full figures, dates included, come from ``python -m tools.draft_eval``)."""

import shutil
from pathlib import Path

import pytest

from app.cli import main
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
