"""What makes seeds easier to write: article-scoped aliases, relative dates by rule, ``check --write-sha``, YAML
mistakes reported where they start, and drafts that are counted and refused by ``load``. (Did-you-mean suggestions
are in the bad-input table of test_loader.py.)"""

import hashlib
from datetime import date
from pathlib import Path

import pytest

from app import dates
from app.cli import main
from app.models import Event, Mention
from app.seeds import SeedError, compile_seeds
from app.seeds.lines import UnreadableFile, read_mapping

RAIL = "articles/tl-2023-07-03-japan-uzbekistan-rail"
SOLAR = "articles/rz-2023-06-14-eu-solar-kyrgyzstan"


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- Aliases scoped to one article ---------------------------------------------------------------------------


def test_an_article_alias_finds_mentions_in_that_article_only(seeds_copy: Path) -> None:
    # "Foreign Minister" is Japan's office in the rail article; in the first article it is Lavrov's title.
    append(seeds_copy / RAIL / "article.yaml", "aliases:\n  japan: [Foreign Minister]\n")
    mentions = [row for row in compile_seeds(seeds_copy).rows if isinstance(row, Mention)]
    found = [(m.article_id, m.entity_id) for m in mentions if m.text == "Foreign Minister"]
    assert found == [("tl-2023-07-03-japan-uzbekistan-rail", "japan")]


def test_an_article_alias_of_an_unknown_entity_is_reported(seeds_copy: Path) -> None:
    append(seeds_copy / RAIL / "article.yaml", "aliases:\n  japn: [Foreign Minister]\n")
    with pytest.raises(SeedError) as caught:
        compile_seeds(seeds_copy)
    assert [str(p) for p in caught.value.problems] == [
        f"seeds/{RAIL}/article.yaml:16: tl-2023-07-03-japan-uzbekistan-rail: unknown entity 'japn'; "
        "did you mean 'japan'?"
    ]


# --- Relative dates ------------------------------------------------------------------------------------------

TUE = date(2023, 2, 28)
# (phrase, publication day, value, precision, earliest, latest)
RELATIVE = [
    ("later this year", TUE, "2023", "year", "2023-03-01", "2023-12-31"),
    ("later this year", date(2023, 7, 3), "2023", "year", "2023-07-04", "2023-12-31"),
    ("next month", TUE, "2023-03", "month", "2023-03-01", "2023-03-31"),
    ("next month", date(2023, 12, 5), "2024-01", "month", "2024-01-01", "2024-01-31"),
    ("last month", date(2023, 1, 10), "2022-12", "month", "2022-12-01", "2022-12-31"),
    ("on Tuesday", TUE, "2023-02-28", "day", "2023-02-28", "2023-02-28"),
    ("Wednesday", date(2023, 6, 14), "2023-06-14", "day", "2023-06-14", "2023-06-14"),
    ("last Friday", TUE, "2023-02-24", "day", "2023-02-24", "2023-02-24"),
    ("last week", date(2023, 6, 14), "2023-W23", "week", "2023-06-05", "2023-06-11"),
    ("later in the week", TUE, "2023-W09", "week", "2023-03-01", "2023-03-05"),
    ("earlier this month", TUE, "2023-02", "month", "2023-02-01", "2023-02-27"),
    ("in September", TUE, "2022-09", "month", "2022-09-01", "2022-09-30"),
    ("in  february", TUE, "2023-02", "month", "2023-02-01", "2023-02-28"),
    ("yesterday", date(2023, 3, 1), "2023-02-28", "day", "2023-02-28", "2023-02-28"),
    ("recently", TUE, None, None, None, "2023-02-28"),
]


@pytest.mark.parametrize(("phrase", "published", "value", "precision", "earliest", "latest"), RELATIVE)
def test_relative_phrases_follow_the_documented_rules(
    phrase: str, published: date, value: str, precision: str, earliest: str | None, latest: str
) -> None:
    got_value, got_precision, got_earliest, got_latest, basis = dates.relative(phrase, published)
    assert (got_value, got_precision, got_earliest and got_earliest.isoformat(), got_latest.isoformat()) == (
        value,
        precision,
        earliest,
        latest,
    )
    assert published.isoformat() in basis


@pytest.mark.parametrize(
    ("phrase", "published", "message"),
    [
        ("later this year", date(2023, 12, 31), "'later this year' is an empty period"),
        ("the other day", TUE, "no rule for the relative date 'the other day'; the rules: today, yesterday"),
    ],
)
def test_a_relative_phrase_without_an_answer_is_an_error(phrase: str, published: date, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dates.relative(phrase, published)


def test_a_relative_date_in_a_seed_is_resolved_against_the_publication_day(seeds_copy: Path) -> None:
    events = seeds_copy / RAIL / "events.yaml"
    text = events.read_text(encoding="utf-8")
    start = text.index('    date:\n      value: "2023"')
    end = text.index("    status: planned")
    events.write_text(text[:start] + "    date: {relative: later this year, text: later this year}\n" + text[end:])
    event = next(
        r for r in compile_seeds(seeds_copy).rows if isinstance(r, Event) and r.id == "tanabe-visit-tashkent-2023"
    )
    assert (event.date["value"], event.date["precision"], event.date["inferred"]) == ("2023", "year", True)
    assert (event.date_earliest, event.date_latest) == (date(2023, 7, 4), date(2023, 12, 31))
    assert event.date["basis"] == (
        "Later this year: from the day after publication to the end of 2023 (published Mon 2023-07-03)."
    )


def test_a_relative_date_with_its_own_value_is_an_error(seeds_copy: Path) -> None:
    replace_once(
        seeds_copy / RAIL / "events.yaml",
        "      precision: year\n",
        "      precision: year\n      relative: later this year\n",
    )
    with pytest.raises(SeedError) as caught:
        compile_seeds(seeds_copy)
    assert [p.message for p in caught.value.problems] == [
        "a relative date takes no value or precision or earliest: the rule gives them"
    ]


# --- check --write-sha ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("sha256: 469cd44204f46402d49943443b9b0e2c67763be8ef55e5173bdbb9de09e82c30\n", "sha256: 0\n"),
        ("sha256: 469cd44204f46402d49943443b9b0e2c67763be8ef55e5173bdbb9de09e82c30\n", ""),
    ],
    ids=["fixes a wrong one", "fills a missing one"],
)
def test_write_sha_touches_only_the_sha256(
    seeds_copy: Path, capsys: pytest.CaptureFixture[str], old: str, new: str
) -> None:
    path = seeds_copy / RAIL / "article.yaml"
    good = path.read_bytes()
    replace_once(path, old, new)
    assert main(["check", str(seeds_copy)]) == 1
    assert main(["check", "--write-sha", str(seeds_copy)]) == 0
    assert path.read_bytes() == good  # comments, order and everything else byte for byte
    assert hashlib.sha256((seeds_copy / RAIL / "article.txt").read_bytes()).hexdigest().encode() in good
    assert capsys.readouterr().out.startswith(f"{path}: sha256 written\n")


# --- YAML mistakes, at the line where they start -------------------------------------------------------------

GOOD = "id: x\nlanguage: en\nbody:\n  start: a\n  end: b\nentities:\n  - id: a\n    type: person\n"
# (what, broken file, line reported, message)
NO_CLOSE = "the {} opened on this line is not closed: end it with {} on the same line"
YAML_MISTAKES = [
    (
        "unclosed quote, swallowing lines",
        'id: x\ntitle: "Blinken\nlanguage: en\nurl: "x"\n',
        2,
        'the " opened on this line is closed only on line 4, swallowing the lines between: add the closing " on '
        "this line",
    ),
    (
        "unclosed quote at the end",
        "id: x\nurl: null\ntitle: 'Blinken\n",
        3,
        "the ' opened on this line is never closed: add the closing '",
    ),
    (
        "tab",
        GOOD.replace("  start", "\tstart"),
        4,
        "a tab character: YAML indents with spaces only; replace the tab with spaces",
    ),
    (
        "key deeper than its neighbour",
        GOOD.replace("language", "  language"),
        2,
        "this line is indented more than the key above it, which already has a value: indent it like the keys "
        "around it",
    ),
    (
        "key between two blocks",
        GOOD.replace("    type", "   type"),
        8,
        "this line's indentation matches no block above it (the block starts on line 7): indent it exactly like "
        "the keys it belongs with",
    ),
    (
        "missing colon",
        GOOD.replace("language: en", "language en"),
        2,
        "'language en' has no ':' after its key: write `key: value` (or indent it further if it continues the "
        "value above)",
    ),
    (
        "missing colon in a list",
        GOOD.replace("type: person", "type person"),
        8,
        "'type person' has no ':' after its key: write `key: value` (or indent it further if it continues the "
        "value above)",
    ),
    ("unclosed brace", GOOD.replace("body:\n", "body: {start: a\n"), 3, NO_CLOSE.format("'{'", "'}'")),
    ("unclosed bracket", GOOD.replace("id: x", "id: [x, y"), 1, NO_CLOSE.format("'['", "']'")),
    ("colon in a value", GOOD.replace("id: x", "id: x: y"), 1, "a ': ' inside a value: put the whole value in quotes"),
]


def test_the_file_the_mistakes_are_made_in_is_good(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD, encoding="utf-8")
    assert read_mapping(tmp_path / "good.yaml")["entities"] == [{"id": "a", "type": "person"}]


@pytest.mark.parametrize(
    ("source", "line", "message"), [m[1:] for m in YAML_MISTAKES], ids=[m[0] for m in YAML_MISTAKES]
)
def test_a_yaml_mistake_is_reported_where_it_starts(tmp_path: Path, source: str, line: int, message: str) -> None:
    path = tmp_path / "article.yaml"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(UnreadableFile) as caught:
        read_mapping(path)
    assert (caught.value.line, caught.value.message) == (line, f"malformed YAML: {message}")


# --- Drafts --------------------------------------------------------------------------------------------------


def test_drafts_are_counted_by_check_and_refused_by_load(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace_once(
        seeds_copy / SOLAR / "quotes.yaml",
        "  - id: lindqvist-clean-power\n",
        "  - id: lindqvist-clean-power\n    draft: true\n",
    )
    assert main(["check", str(seeds_copy)]) == 0
    out = capsys.readouterr().out
    draft_line = f"seeds/{SOLAR}/quotes.yaml:3: lindqvist-clean-power: a draft: review it, then delete `draft: true`"
    assert out.startswith(draft_line + "\n") and ", 1 draft(s) to review, " in out
    db = tmp_path / "facts.sqlite3"
    assert main(["load", str(seeds_copy), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err == f"{draft_line} (or load with --allow-drafts)\n1 problem(s); nothing was written\n"
    assert not db.exists()
    assert main(["load", str(seeds_copy), "--db", str(db), "--allow-drafts"]) == 0
    assert db.is_file()
