"""The loader: every kind of bad input is reported with its place, and the existing database is untouched."""

import hashlib
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from app.backend import LoadError
from app.cli import main
from app.export import package_path
from app.loader import check_shrink, load, needs_build
from app.schema import head_revision
from tests.conftest import ARTICLE_ID, COUNTS, gut_quotes
from tests.test_curation import SHARED_SHA256

ARTICLE = f"articles/{ARTICLE_ID}"
# What the PostgreSQL loader does instead (one transaction; a failed load changes nothing) is in test_postgres.py.
sqlite_file = pytest.mark.sqlite_only("the SQLite loader's file handling: temporary files, renames, modes, hashes")


def edit(seeds: Path, name: str, old: str, new: str) -> int:
    """Replace the one occurrence of ``old`` in a seed file; return its line number."""
    path = seeds / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def target(tmp_path: Path, db_path: Path) -> Path:
    """An existing, good database that a failed load must leave byte-identical."""
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "facts.sqlite3"
    shutil.copyfile(db_path, path)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


# (file, old text, new text, fact id, message), the line being where the old text was.
BAD_INPUTS = [
    (
        "entities.yaml",
        "  - id: kassym-jomart-tokayev\n",
        "  - id: kassym-jomart-tokayev\n    type: person\n    name: Dup\n    description: x\n  - id: kassym-jomart-tokayev\n",
        "kassym-jomart-tokayev",
        "duplicate entity id (first defined in seeds/entities.yaml:46)",
    ),
    (
        f"{ARTICLE}/quotes.yaml",
        "    speaker: dmitry-peskov\n",
        "    speaker: dmitry-peskow\n",
        "peskov-central-asia-top-priority",
        "unknown entity 'dmitry-peskow'; did you mean 'dmitry-peskov'?",
    ),
    (
        f"{ARTICLE}/quotes.yaml",
        "    text: sovereignty, independence and territorial integrity\n",
        "    text: sovereignty, independence and territorial unity\n",
        "blinken-backs-central-asian-sovereignty",
        "evidence text 'sovereignty, independence and territorial unity' is not in the article",
    ),
    (
        f"{ARTICLE}/quotes.yaml",
        "    attribution: Blinken said the United States backed their\n",
        "    attribution: Blinken\n",
        "blinken-backs-central-asian-sovereignty",
        "evidence text 'Blinken' occurs 9 times; add a prefix or suffix to pick one",
    ),
    (
        f"{ARTICLE}/pledges.yaml",
        "      amount_minor: 2500000000\n      currency: USD\n    purpose",
        "      amount_minor: 250000000\n      currency: USD\n    purpose",
        "us-25m-central-asia-2022-09",
        "amount_minor 250000000 does not match '$25 million' (2500000000 minor units of USD)",
    ),
    (
        f"{ARTICLE}/pledges.yaml",
        "      currency: USD\n    purpose",
        "      currency: USX\n    purpose",
        "us-25m-central-asia-2022-09",
        "'USX' is not an ISO 4217 currency code; did you mean 'USD'?",
    ),
    (
        "entities.yaml",
        "      - role: President\n        organization: kazakhstan\n",
        "      - role: President\n        organization: kazakstan\n",
        "kassym-jomart-tokayev",
        "unknown entity 'kazakstan'; did you mean 'kazakhstan'?",
    ),
    (
        f"{ARTICLE}/article.yaml",
        "  value: 2023-02-28\n",
        "  value: 2023-02-30\n",
        ARTICLE_ID,
        "'2023-02-30' is not a valid day",
    ),
    (
        f"{ARTICLE}/quotes.yaml",
        "    kind: partial\n    text: sovereignty",
        "    kind: shouted\n    text: sovereignty",
        "blinken-backs-central-asian-sovereignty",
        "kind: Input should be 'direct', 'partial' or 'indirect'",  # nothing close to suggest
    ),
    (
        f"{ARTICLE}/quotes.yaml",
        "    speaker: dmitry-peskov\n",
        "    speker: dmitry-peskov\n",
        "peskov-central-asia-top-priority",
        "speker: Extra inputs are not permitted; did you mean 'speaker'?",
    ),
    (
        f"{ARTICLE}/quotes.yaml",
        "    kind: partial\n    text: sovereignty",
        "    kind: partal\n    text: sovereignty",
        "blinken-backs-central-asian-sovereignty",
        "kind: Input should be 'direct', 'partial' or 'indirect'; did you mean 'partial'?",
    ),
    (
        f"{ARTICLE}/quotes.yaml",
        "    event: c5-plus-1-ministerial-2023-02-28\n",
        "    event: c5-plus-1-ministerial-2023-02-27\n",
        "blinken-backs-central-asian-sovereignty",
        "unknown event 'c5-plus-1-ministerial-2023-02-27'; did you mean 'c5-plus-1-ministerial-2023-02-28'?",
    ),
    (
        "entities.yaml",
        "    country_code: KZ\n    affiliations:\n      - role: President",
        "    country_code: ZZ\n    affiliations:\n      - role: President",
        "kassym-jomart-tokayev",
        "'ZZ' is not an ISO 3166-1 alpha-2 code",
    ),
]


@sqlite_file
@pytest.mark.parametrize(("name", "old", "new", "fact", "message"), BAD_INPUTS)
def test_bad_input_is_reported_and_nothing_is_written(
    seeds_copy: Path,
    target: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    old: str,
    new: str,
    fact: str,
    message: str,
) -> None:
    line = edit(seeds_copy, name, old, new)
    if "organization: kazakstan" in new:
        line += 1  # the organization key's own line
    if "id: kassym-jomart-tokayev\n    type: person\n    name: Dup" in new:
        line += 4  # the second definition
    before = digest(target)
    code, err = run(capsys, "load", str(seeds_copy), "--db", str(target))
    assert code == 1
    assert f"seeds/{name}:{line}: {fact}: {message}\n" in err
    assert err.endswith("nothing was written\n")
    assert digest(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


@sqlite_file
def test_malformed_yaml_names_the_line(seeds_copy: Path, target: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = edit(seeds_copy, f"{ARTICLE}/events.yaml", "events:\n", "events:\n  - title: a: b\n")
    before = digest(target)
    code, err = run(capsys, "load", str(seeds_copy), "--db", str(target))
    assert code == 1
    # Only the YAML problem: references to the events it defines are not reported as unknown on top.
    assert err == (
        f"seeds/{ARTICLE}/events.yaml:{line + 1}: -: malformed YAML: a ': ' inside a value: put the whole value in quotes\n"
        "1 problem(s); nothing was written\n"
    )
    assert digest(target) == before


@sqlite_file
def test_a_changed_article_text_is_refused(seeds_copy: Path, target: Path, capsys: pytest.CaptureFixture[str]) -> None:
    article = seeds_copy / ARTICLE / "article.txt"
    article.write_bytes(article.read_bytes().replace("“We have to tread".encode(), b'"We have to tread'))
    before = digest(target)
    code, err = run(capsys, "load", str(seeds_copy), "--db", str(target))
    assert code == 1
    assert f"seeds/{ARTICLE}/article.yaml:4: {ARTICLE_ID}: article.txt no longer matches its sha256" in err
    assert digest(target) == before


def test_every_problem_is_reported_not_just_the_first(seeds_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(seeds_copy, f"{ARTICLE}/quotes.yaml", "    speaker: dmitry-peskov\n", "    speaker: nobody\n")
    edit(
        seeds_copy,
        f"{ARTICLE}/pledges.yaml",
        "      currency: USD\n    purpose",
        "      currency: XXY\n    purpose",
    )
    edit(seeds_copy, f"{ARTICLE}/article.yaml", "  value: 2023-02-28\n", "  value: 2023-13-01\n")
    code, err = run(capsys, "check", str(seeds_copy))
    assert code == 1
    assert "unknown entity 'nobody'" in err and "'XXY' is not an ISO 4217" in err and "'2023-13-01'" in err
    assert err.endswith("3 problem(s); nothing was written\n")


@sqlite_file
def test_a_failed_first_load_leaves_no_file(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(seeds_copy, f"{ARTICLE}/quotes.yaml", "    speaker: dmitry-peskov\n", "    speaker: nobody\n")
    folder = tmp_path / "fresh"
    code, _ = run(capsys, "load", str(seeds_copy), "--db", str(folder / "facts.sqlite3"))
    assert code == 1
    assert not folder.exists() or list(folder.iterdir()) == []


def test_check_writes_nothing(seeds_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.relative_to(seeds_copy) for p in seeds_copy.rglob("*"))
    code = main(["check", str(seeds_copy)])
    assert code == 0
    assert capsys.readouterr().out.startswith(f"{seeds_copy}: ok, ")
    assert sorted(p.relative_to(seeds_copy) for p in seeds_copy.rglob("*")) == before


def dump(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        connection.execute("UPDATE dataset_info SET loaded_at = ''")  # the one field that is a time
        return list(connection.iterdump())
    finally:
        connection.close()


@sqlite_file
def test_loading_twice_gives_the_same_version_and_rows(tmp_path: Path) -> None:
    from tests.conftest import SEEDS

    first = load(SEEDS, tmp_path / "a.sqlite3")
    second = load(SEEDS, tmp_path / "b.sqlite3")
    assert first.version == second.version
    assert dump(tmp_path / "a.sqlite3") == dump(tmp_path / "b.sqlite3")


@sqlite_file
def test_a_good_load_replaces_the_target(seeds_copy: Path, target: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(
        seeds_copy,
        f"{ARTICLE}/events.yaml",
        "title: G20 foreign ministers' meeting in New Delhi",
        "title: G20 ministerial in New Delhi",
    )
    code = main(["load", str(seeds_copy), "--db", str(target)])
    assert code == 0
    titles = sqlite3.connect(target).execute("SELECT title FROM event WHERE type = 'meeting'").fetchall()
    assert ("G20 ministerial in New Delhi",) in titles
    version = sqlite3.connect(target).execute("SELECT version FROM dataset_info").fetchone()[0]
    assert sorted(p.name for p in target.parent.iterdir()) == sorted([target.name, package_path(target, version).name])


@sqlite_file
def test_a_missing_article_text_is_reported(seeds_copy: Path, target: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (seeds_copy / ARTICLE / "article.txt").unlink()
    before = digest(target)
    code, err = run(capsys, "load", str(seeds_copy), "--db", str(target))
    assert code == 1
    assert f"seeds/{ARTICLE}/article.yaml:3: {ARTICLE_ID}: cannot read article.txt: No such file or directory\n" in err
    assert digest(target) == before


def test_an_article_text_that_is_not_utf8_is_reported(seeds_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    article = seeds_copy / ARTICLE / "article.txt"
    article.write_bytes(b"\xff\xfe not utf-8")
    edit(seeds_copy, f"{ARTICLE}/article.yaml", SHARED_SHA256, hashlib.sha256(article.read_bytes()).hexdigest())
    code, err = run(capsys, "check", str(seeds_copy))
    assert code == 1
    assert (
        err
        == f"seeds/{ARTICLE}/article.yaml:4: {ARTICLE_ID}: article.txt is not UTF-8 text\n1 problem(s); nothing was written\n"
    )


def test_a_complex_yaml_key_is_malformed_yaml(seeds_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = edit(seeds_copy, f"{ARTICLE}/quotes.yaml", "quotes:\n", "quotes:\n  - ? [a, b]\n    : 1\n")
    code, err = run(capsys, "check", str(seeds_copy))
    assert code == 1
    assert err == (
        f"seeds/{ARTICLE}/quotes.yaml:{line + 1}: -: malformed YAML: keys must be plain words\n"
        "1 problem(s); nothing was written\n"
    )


def test_an_amount_too_large_for_the_database_is_reported(seeds_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = edit(
        seeds_copy,
        f"{ARTICLE}/pledges.yaml",
        "      amount_minor: 2500000000\n      currency: USD\n    purpose",
        "      amount_minor: 9000000000000000000000000000\n      currency: USD\n    purpose",
    )
    code, err = run(capsys, "check", str(seeds_copy))
    assert code == 1
    assert f"pledges.yaml:{line}: us-25m-central-asia-2022-09: amount.amount_minor: Input should be less than" in err


def test_an_empty_alias_is_refused(seeds_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = edit(
        seeds_copy,
        "entities.yaml",
        "aliases: [Blinken, top U.S. diplomat]",
        "aliases: [Blinken, top U.S. diplomat, '']",
    )
    code, err = run(capsys, "check", str(seeds_copy))
    assert code == 1
    assert f"seeds/entities.yaml:{line}: antony-blinken: aliases.2: String should match pattern" in err
    # the entity failed validation: references to it are not reported as unknown on top of that
    assert "unknown entity 'antony-blinken'" not in err


def test_a_list_item_that_is_not_a_mapping_names_its_list(seeds_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = edit(seeds_copy, f"{ARTICLE}/quotes.yaml", "quotes:\n", "quotes:\n  - just a string\n")
    code, err = run(capsys, "check", str(seeds_copy))
    assert code == 1
    assert (
        err
        == f"seeds/{ARTICLE}/quotes.yaml:{line + 1}: -: each of quotes must be a mapping\n1 problem(s); nothing was written\n"
    )


@sqlite_file
def test_article_local_entities_are_not_found_in_other_articles(seeds_copy: Path, tmp_path: Path) -> None:
    other = seeds_copy / "articles" / "other-article"
    other.mkdir()
    text = "Second Story\n\nU.S. officials met The diplomat in Astana. Blinken spoke.\n"
    (other / "article.txt").write_text(text, encoding="utf-8")
    (other / "article.yaml").write_text(
        "id: other-article\n"
        f"sha256: {hashlib.sha256(text.encode()).hexdigest()}\n"
        "language: en\ntitle: Second Story\npublisher: {entity: the-moscow-times}\n"
        "published_on: {value: 2023-03-01, precision: day}\n"
        "body: {start: U.S. officials met, end: Blinken spoke.}\n",
        encoding="utf-8",
    )
    load(seeds_copy, tmp_path / "two.sqlite3")
    rows = sqlite3.connect(tmp_path / "two.sqlite3").execute(
        "SELECT entity_id, text FROM mention WHERE article_id = 'other-article' ORDER BY start"
    )
    # "U.S. officials" is a group local to the first article: here it is only "U.S.", the United States.
    assert rows.fetchall() == [("united-states", "U.S."), ("astana", "Astana"), ("antony-blinken", "Blinken")]


@sqlite_file
def test_serve_rebuilds_only_a_missing_or_stale_database(seeds_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "facts.sqlite3"
    assert needs_build(seeds_copy, db)
    load(seeds_copy, db)
    assert not needs_build(seeds_copy, db)
    quotes = seeds_copy / ARTICLE / "quotes.yaml"
    later = db.stat().st_mtime + 10
    os.utime(quotes, (later, later))
    assert needs_build(seeds_copy, db)


@sqlite_file
def test_serve_no_build_refuses_a_missing_or_stale_database_in_one_line(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "facts.sqlite3"
    assert main(["serve", "--db", str(db), "--seeds", str(seeds_copy), "--no-build"]) == 1
    assert capsys.readouterr().err == (
        f"article-facts serve: cannot serve {db}: there is no database there; build it with `article-facts load`\n"
    )
    assert not db.exists()

    load(seeds_copy, db)
    before = db.read_bytes()
    later = db.stat().st_mtime + 10
    os.utime(seeds_copy / ARTICLE / "quotes.yaml", (later, later))
    assert main(["serve", "--db", str(db), "--seeds", str(seeds_copy), "--no-build"]) == 1
    assert capsys.readouterr().err == (
        f"article-facts serve: cannot serve {db}: seeds/{ARTICLE}/quotes.yaml changed after it was built; "
        "build it with `article-facts load`\n"
    )
    assert db.read_bytes() == before


@sqlite_file
def test_serve_that_cannot_write_its_stale_database_says_so_in_one_line(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only image or folder (tests run as root, who may write anywhere: the refusal is simulated)."""
    db = tmp_path / "facts.sqlite3"

    def read_only(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr("tempfile.mkstemp", read_only)
    assert main(["serve", "--db", str(db), "--seeds", str(seeds_copy)]) == 1
    assert capsys.readouterr().err == (
        f"article-facts serve: {db} must be rebuilt (there is no database there), but {tmp_path} is not writable; "
        "build it with `article-facts load` where it can be written, or serve with --no-build\n"
    )


@sqlite_file
def test_the_database_is_readable_by_a_server_running_as_another_user(tmp_path: Path) -> None:
    from tests.conftest import SEEDS

    db = tmp_path / "facts.sqlite3"
    load(SEEDS, db)
    mask = os.umask(0)
    os.umask(mask)
    assert db.stat().st_mode & 0o777 == 0o666 & ~mask
    assert db.stat().st_mode & 0o004  # world-readable under the usual umask (022)


@sqlite_file
def test_a_database_of_another_schema_revision_is_rebuilt(seeds_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "facts.sqlite3"
    load(seeds_copy, db)
    connection = sqlite3.connect(db)
    connection.execute("UPDATE alembic_version SET version_num = 'an-older-revision'")
    connection.commit()
    connection.close()
    later = max(p.stat().st_mtime for p in seeds_copy.rglob("*")) + 10
    os.utime(db, (later, later))
    needs = f"it has schema revision an-older-revision, this version of the app needs {head_revision()}"
    assert needs_build(seeds_copy, db) == needs


FULL = {"articles": 1, "entities": 36, "mentions": 106, "quotes": 17, "pledges": 5, "events": 15}


@pytest.mark.parametrize(
    ("new", "refused"),
    [
        (FULL, None),
        ({**FULL, "quotes": 30, "events": 40}, None),  # growth
        ({**FULL, "quotes": 9}, None),  # 9 of 17 kept: more than half
        ({**FULL, "quotes": 8}, "quotes 17 -> 8"),
        ({**FULL, "pledges": 2, "events": 0}, "pledges 5 -> 2, events 15 -> 0"),
        ({k: v for k, v in FULL.items() if k != "mentions"}, "mentions 106 -> 0"),
    ],
)
def test_a_load_may_not_drop_more_than_half_of_a_kind_of_fact(new: dict[str, int], refused: str | None) -> None:
    if refused is None:
        check_shrink(new, FULL)
    else:
        with pytest.raises(LoadError) as error:
            check_shrink(new, FULL)
        assert str(error.value) == (
            f"refusing to drop more than 50% of a kind of fact the database holds ({refused}); "
            "if that is intended, load again with --allow-shrink"
        )


@sqlite_file
def test_the_shrink_guard_compares_with_the_database_being_replaced(
    seeds_copy: Path, target: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gut_quotes(seeds_copy)
    before = digest(target)
    code, err = run(capsys, "load", str(seeds_copy), "--db", str(target))
    assert (code, err) == (
        1,
        "load failed, nothing was written: refusing to drop more than 50% of a kind of fact the database holds "
        f"(quotes {COUNTS['quotes']} -> 0); if that is intended, load again with --allow-shrink\n",
    )
    assert digest(target) == before

    assert run(capsys, "load", str(seeds_copy), "--db", str(target), "--allow-shrink")[0] == 0
    assert sqlite3.connect(target).execute("SELECT count(*) FROM quote").fetchone() == (0,)
    # Nothing to compare with (as for a first load, which every other test does): not refused.
    target.write_bytes(b"not a database")
    assert run(capsys, "load", str(seeds_copy), "--db", str(target))[0] == 0


def test_ids_names_and_titles_are_bounded(seeds_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """They are the sort keys a cursor carries: bounded, they bound the cursor and the URL that sends it back."""
    long_id = "a-" * 50 + "b"  # 101 characters
    id_line = edit(seeds_copy, "entities.yaml", "  - id: antony-blinken\n", f"  - id: {long_id}\n")
    title_line = edit(
        seeds_copy,
        f"{ARTICLE}/events.yaml",
        "    title: Blinken's trip to Central Asia\n",
        "    title: " + "Trip " * 41 + "\n",
    )
    code, err = run(capsys, "check", str(seeds_copy))
    assert code == 1
    assert f"entities.yaml:{id_line}: {long_id}: id is 101 characters long; the longest allowed is 100" in err
    assert f"events.yaml:{title_line}: blinken-central-asia-trip-2023: title: String should have at most 200" in err
