"""`python -m tools.synth`: deterministic, internally consistent synthetic corpora with the shape of curated data."""

import json
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest

from tools.synth import COMMON_WORD, PREFIX, RARE_WORDS, main, synth

QUOTES = 2000
SEED = 7


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return db.execute(sql).fetchall()


def content(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order; the dataset info without its load time."""
    tables = [
        name
        for (name,) in rows(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if not name.startswith(("sqlite_", "search_index_"))  # FTS5's own storage: compared through search_index
    ]
    dump = {table: sorted(rows(path, f'SELECT * FROM "{table}"'), key=repr) for table in tables}
    dump["dataset_info"] = rows(path, "SELECT id, version, counts FROM dataset_info")
    return dump


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("synth") / "corpus.sqlite3"
    version = synth(path, QUOTES, SEED, progress=False, parallel=False)
    return path, version


def test_the_same_seed_gives_the_same_version_and_rows(corpus: tuple[Path, str], tmp_path: Path) -> None:
    path, version = corpus
    # Built again, this time generated in a child process: the rows do not depend on how they were made.
    again = tmp_path / "again.sqlite3"
    assert synth(again, QUOTES, SEED, progress=False, parallel=True) == version
    assert content(again) == content(path)


def test_another_seed_gives_another_version_and_rows(corpus: tuple[Path, str], tmp_path: Path) -> None:
    path, version = corpus
    other = tmp_path / "other.sqlite3"
    assert synth(other, QUOTES, SEED + 1, progress=False, parallel=False) != version
    assert rows(other, "SELECT id FROM quote ORDER BY id") != rows(path, "SELECT id FROM quote ORDER BY id")


def test_every_evidence_span_and_mention_is_its_slice_of_the_article(corpus: tuple[Path, str]) -> None:
    path, _ = corpus
    texts = dict(rows(path, "SELECT id, text FROM article"))
    spans = rows(
        path,
        'SELECT article_id, start, "end", text FROM evidence UNION ALL SELECT article_id, start, "end", text FROM mention',
    )
    assert len(spans) > 3 * QUOTES
    assert [s for s in spans if texts[s[0]][s[1] : s[2]] != s[3]] == []  # type: ignore[index]
    # Offsets count code points: the texts have curly quotes and accented names, so bytes would differ.
    assert any(len(t.encode()) != len(t) for t in texts.values())


def test_facts_quote_their_evidence(corpus: tuple[Path, str]) -> None:
    path, _ = corpus
    mismatched = rows(
        path,
        "SELECT q.id FROM quote q JOIN evidence e ON e.subject_type = 'quote' AND e.subject_id = q.id "
        "AND e.role = 'text' WHERE e.text != q.text",
    )
    assert mismatched == []
    assert rows(
        path, "SELECT count(DISTINCT subject_id) FROM evidence WHERE subject_type = 'quote' AND role = 'text'"
    ) == [(QUOTES,)]
    # A mention is the name of its entity, as the loader derives them.
    assert rows(path, "SELECT count(*) FROM mention m JOIN entity e ON e.id = m.entity_id WHERE m.text != e.name") == [
        (0,)
    ]
    # A quote-mention link names an entity mentioned inside the quote's words.
    unlinked = rows(
        path,
        "SELECT l.quote_id FROM quote_mention l JOIN evidence q ON q.subject_type = 'quote' AND q.subject_id = l.quote_id "
        "AND q.role = 'text' WHERE NOT EXISTS (SELECT 1 FROM mention m WHERE m.entity_id = l.entity_id "
        'AND m.article_id = q.article_id AND m.start >= q.start AND m."end" <= q."end")',
    )
    assert unlinked == []


def test_stored_counts_are_the_real_counts(corpus: tuple[Path, str]) -> None:
    path, _ = corpus
    real = rows(
        path,
        """
        SELECT e.id,
          (SELECT count(*) FROM mention m WHERE m.entity_id = e.id),
          (SELECT count(*) FROM quote q WHERE q.speaker_id = e.id),
          (SELECT count(*) FROM (SELECT id FROM pledge WHERE donor_id = e.id OR announced_by_id = e.id
                                 UNION SELECT pledge_id FROM pledge_recipient WHERE entity_id = e.id)),
          (SELECT count(*) FROM (SELECT event_id FROM event_participant WHERE entity_id = e.id
                                 UNION SELECT id FROM event WHERE location_id = e.id))
        FROM entity e ORDER BY e.id
        """,
    )
    stored = rows(path, "SELECT id, mention_count, quote_count, pledge_count, event_count FROM entity ORDER BY id")
    assert stored == real
    (counts,) = rows(path, "SELECT counts FROM dataset_info")[0]
    tables = {
        "articles": "article",
        "entities": "entity",
        "mentions": "mention",
        "quotes": "quote",
        "pledges": "pledge",
        "events": "event",
    }
    assert json.loads(str(counts)) == {key: rows(path, f"SELECT count(*) FROM {t}")[0][0] for key, t in tables.items()}
    assert json.loads(str(counts))["quotes"] == QUOTES
    # One search document per fact, as the loader makes them.
    kinds = dict(rows(path, "SELECT kind, count(*) FROM search_index GROUP BY kind"))
    assert kinds == {
        kind: rows(path, f"SELECT count(*) FROM {kind}")[0][0]
        for kind in ("article", "entity", "quote", "pledge", "event")
    }


def test_dates_follow_the_curated_convention(corpus: tuple[Path, str]) -> None:
    """Date columns are the object's bounds, an open bound stored as 0001-01-01 / 9999-12-31, never reversed."""
    path, _ = corpus
    for table, column in (
        ("quote", "said_on"),
        ("event", "date"),
        ("pledge", "announced_on"),
        ("article", "published_on"),
    ):
        for obj, earliest, latest in rows(path, f"SELECT {column}, {column}_earliest, {column}_latest FROM {table}"):
            value = json.loads(str(obj))
            assert (value["earliest"] or "0001-01-01", value["latest"] or "9999-12-31") == (earliest, latest)
            assert str(earliest) <= str(latest)
    precisions = Counter(json.loads(str(o))["precision"] for (o,) in rows(path, "SELECT said_on FROM quote"))
    assert set(precisions) == {"day", "week", "month", None}


def test_the_shape_is_skewed_like_real_data(corpus: tuple[Path, str]) -> None:
    path, _ = corpus
    by_speaker = [
        n for (n,) in rows(path, "SELECT quote_count FROM entity WHERE quote_count > 0 ORDER BY quote_count DESC")
    ]
    assert by_speaker[0] > 0.1 * QUOTES  # a busy speaker (tens of thousands of quotes at 1M)
    assert by_speaker[len(by_speaker) // 2] < 0.02 * QUOTES  # and a long tail
    words = Counter(w for (text,) in rows(path, "SELECT lower(text) FROM quote") for w in set(str(text).split()))
    assert 0.02 * QUOTES < words[COMMON_WORD] < 0.5 * QUOTES  # what the benchmark searches for
    assert sum(n for w, n in words.items() if w.startswith(PREFIX)) > words[COMMON_WORD] / 10  # what it types
    assert sum(words[w] == 1 for w in RARE_WORDS) > 100  # and words found once
    types = dict(rows(path, "SELECT type, count(*) FROM entity GROUP BY type"))
    assert set(types) == {"person", "country", "organization", "place", "group"}
    assert (
        rows(path, "SELECT count(*) FROM pledge")[0][0] > 0 < rows(path, "SELECT count(*) FROM event_participant")[0][0]
    )


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cli.sqlite3"
    assert main(["--quotes", "40", "--db", str(db), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert f"built {db}: 40 quotes, seed 3, dataset version " in out
    assert rows(db, "SELECT count(*) FROM quote") == [(40,)]
    assert main(["--quotes", "0", "--db", str(tmp_path / "none.sqlite3")]) == 2
    assert not (tmp_path / "none.sqlite3").exists()
