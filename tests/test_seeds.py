"""The curated seeds/ (the product, not the suite's corpus): they check, and every span, amount and date they load
is consistent. Generic on purpose: a curator adding an article changes no test. ``ARTICLE_FACTS_SEEDS`` points it
at another folder (CI runs it on a copy of seeds/ with a generated extra article: tests/extra_article.py).
"""

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection

from app.db import open_engine
from app.loader import load
from app.settings import get_settings
from tests.conftest import SEEDS
from tests.consistency import CHECKS, amounts_are_their_words, dates_are_consistent, spans_are_their_slices


@pytest.fixture(scope="module")
def curated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Connection]:
    db = tmp_path_factory.mktemp("curated") / "seeds.sqlite3"
    load(get_settings().seeds, db)
    engine = open_engine(db)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_the_curated_seeds_keep_the_promise(curated: Connection, check: Callable[[Connection], list[str]]) -> None:
    assert curated.execute(sa.text("SELECT count(*) FROM article")).scalar_one() >= 1
    assert check(curated) == []


# Each check finds what it is for: the same corpus, with one thing broken in the database after the load.
BROKEN = [
    (spans_are_their_slices, "UPDATE evidence SET text = text || 'x' WHERE id = 1", "is not"),
    (spans_are_their_slices, 'UPDATE mention SET start = 0, "end" = 1, text = substr(text, 1, 1) WHERE id = 5', ""),
    (
        amounts_are_their_words,
        "UPDATE pledge SET amount_minor = amount_minor + 1 WHERE amount_minor > 0",
        "minor units",
    ),
    (dates_are_consistent, "UPDATE quote SET said_on_latest = '1999-01-01'", "after latest"),
    (dates_are_consistent, "UPDATE event SET date_earliest = '1999-01-01'", "outside"),
]


@pytest.mark.parametrize(("check", "breakage", "says"), BROKEN, ids=lambda value: getattr(value, "__name__", None))
def test_each_check_finds_what_it_is_for(
    tmp_path: Path, check: Callable[[Connection], list[str]], breakage: str, says: str
) -> None:
    db = tmp_path / "broken.sqlite3"
    load(SEEDS, db)
    engine = open_engine(db)
    try:
        with engine.begin() as connection:
            assert check(connection) == []
            connection.execute(sa.text(breakage))
            problems = check(connection)
    finally:
        engine.dispose()
    assert any(says in problem for problem in problems), problems


def test_a_copy_with_one_more_article_still_checks(tmp_path: Path) -> None:
    """What CI does to the whole suite, in small: one generated article more, and the generic checks still hold."""
    from tests.extra_article import add_article

    seeds = tmp_path / "seeds"
    shutil.copytree(get_settings().seeds, seeds)
    add_article(seeds, tag="-once-more")  # CI may have added it already (make test-extra-article)
    db = tmp_path / "more.sqlite3"
    load(seeds, db)
    engine = open_engine(db)
    try:
        with engine.connect() as connection:
            assert [problem for check in CHECKS for problem in check(connection)] == []
            articles = connection.execute(sa.text("SELECT count(*) FROM article")).scalar_one()
    finally:
        engine.dispose()
    assert articles == len(list((get_settings().seeds / "articles").iterdir())) + 1
