"""The data keeps its promise: every span points at exactly the text it claims, in the verbatim article.

Generic checks (tests/consistency.py) run on every article of the suite's corpus; the rest pin down the first
curated article, of which tests/seeds/ keeps a frozen copy.
"""

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection, CursorResult

from app.backend import Target, backend_for
from tests.conftest import ARTICLE_DIR, ARTICLE_ID
from tests.consistency import CHECKS

SHARED_SHA256 = "f71b3656ee4ad4c79c2a6275d31e21170bb4a17330d39aa388f035a6544ed446"


class Db:
    """Plain SQL against the loaded database, on either backend (``end`` is quoted: PostgreSQL reserves it)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, **params: Any) -> CursorResult[Any]:
        return self.connection.execute(sa.text(sql), params)


@pytest.fixture(scope="module")
def db(database: Target) -> Iterator[Db]:
    engine = backend_for(database).engine(read_only=True)
    with engine.connect() as connection:
        yield Db(connection)
    engine.dispose()


def article_text(db: Db) -> str:
    return str(db.execute("SELECT text FROM article WHERE id = :id", id=ARTICLE_ID).fetchone()[0])


def test_the_article_is_the_shared_source_byte_for_byte(db: Db) -> None:
    raw = (ARTICLE_DIR / "article.txt").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SHARED_SHA256
    shared = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_d19103b380a644a5.txt"
    if shared.exists():  # beside the checkout on the team's machines and in CI
        assert raw == shared.read_bytes()
    text = article_text(db)
    assert text == raw.decode("utf-8")
    assert len(text) == 4464
    assert text.count("\u00a0") == 16 and text.count("“") == 7 and text.count("—") == 4


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_every_article_keeps_the_promise(db: Db, check: object) -> None:
    assert db.execute("SELECT count(*) FROM article").fetchone()[0] > 1
    assert check(db.connection) == []  # type: ignore[operator]


def test_the_first_article_body_is_its_body(db: Db) -> None:
    body_start, body_end = db.execute(
        "SELECT body_start, body_end FROM article WHERE id = :id", id=ARTICLE_ID
    ).fetchone()
    text = article_text(db)
    assert text[:body_start].startswith("Blinken Promises U.S. Aid")
    assert text[body_start:].startswith("Secretary of State Antony Blinken on Tuesday")
    assert text[body_end:].strip().startswith("Source link")
    assert text[:body_end].endswith("since the Covid-19 pandemic.")


def test_quote_text_is_its_evidence(db: Db) -> None:
    rows = db.execute(
        "SELECT q.id, q.text, e.text FROM quote q JOIN evidence e"
        " ON e.subject_type = 'quote' AND e.subject_id = q.id AND e.role = 'text'"
    ).fetchall()
    assert len(rows) == db.execute("SELECT count(*) FROM quote").fetchone()[0]
    for quote_id, text, evidence in rows:
        assert text == evidence, quote_id
        assert not text.startswith(("“", '"')) and not text.endswith(("”", '"', ",")), quote_id


def test_amounts_in_three_currencies_keep_their_minor_units(db: Db) -> None:
    rows = db.execute(
        "SELECT currency, amount_minor, amount_text FROM pledge WHERE amount_minor IS NOT NULL"
    ).fetchall()
    found = {(currency, amount_minor, text.replace("\u00a0", " ")) for currency, amount_minor, text in rows}
    assert {
        ("USD", 2_500_000_000, "$25 million"),
        ("EUR", 1_250_000_000, "€12.5 million"),  # a no-break space in the article
        ("JPY", 300_000_000, "¥300 million"),  # the yen has no minor unit
        ("USD", 150_000_000, "US$1.5 million"),
    } <= found


def test_every_fact_has_evidence(db: Db) -> None:
    for table, kind in (("quote", "quote"), ("pledge", "pledge"), ("event", "event"), ("article", "article")):
        missing = db.execute(
            f"SELECT id FROM {table} WHERE id NOT IN (SELECT subject_id FROM evidence WHERE subject_type = :kind)",
            kind=kind,
        ).fetchall()
        assert missing == [], table
    unmentioned = db.execute("SELECT id FROM entity WHERE id NOT IN (SELECT entity_id FROM mention)").fetchall()
    assert unmentioned == []


def test_the_two_25_million_tranches_point_at_different_spans(db: Db) -> None:
    spans = db.execute(
        "SELECT subject_id, start FROM evidence WHERE role = 'amount' AND article_id = :id ORDER BY start",
        id=ARTICLE_ID,
    ).fetchall()
    assert [pledge for pledge, _ in spans] == [
        "us-25m-central-asia-2023-02-28",
        "us-25m-central-asia-2022-09",
    ]
    assert spans[0][1] != spans[1][1]


def test_moscow_is_the_state_or_the_city_as_the_sentence_means(db: Db) -> None:
    text = article_text(db)
    rows = db.execute(
        "SELECT entity_id, start FROM mention WHERE text = 'Moscow' AND article_id = :id ORDER BY start", id=ARTICLE_ID
    ).fetchall()
    city = [start for entity, start in rows if entity == "moscow"]
    assert [text[start - 8 : start] for start in city] == ["said in "]
    assert {entity for entity, _ in rows} == {"russia", "moscow"}


def test_publication_date_is_inferred_with_its_basis(db: Db) -> None:
    published = db.execute("SELECT published_on FROM article WHERE id = :id", id=ARTICLE_ID).fetchone()[0]
    if isinstance(published, str):  # SQLite hands JSON back as text, PostgreSQL as the value
        published = json.loads(published)
    assert published["value"] == "2023-02-28" and published["precision"] == "day"
    assert published["inferred"] is True and "Tuesday" in published["basis"]


def test_every_quote_has_a_speaker_entity(db: Db) -> None:
    orphans = db.execute("SELECT id FROM quote WHERE speaker_id NOT IN (SELECT id FROM entity)").fetchall()
    assert orphans == []
