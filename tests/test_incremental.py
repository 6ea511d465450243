"""Incremental loads (app/incremental.py): after each kind of change, the database equals a full rebuild's, table
by table; only what depends on the change is rendered again; a failed load leaves the served file alone."""

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app import resources
from app.cli import main
from app.export import package_path
from app.loader import load, load_changes
from app.renumber import FOLLOWS
from app.seeds import SeedError

pytestmark = pytest.mark.sqlite_only("incremental loads update a copy of the SQLite file; PostgreSQL rebuilds whole")

RAIL = "articles/tl-2023-07-03-japan-uzbekistan-rail"
SOLAR = "articles/rz-2023-06-14-eu-solar-kyrgyzstan"
# FTS5's own b-trees: how the index is laid out in segments depends on the order it was written in, not on what it
# holds (the rows of `search_index` are compared instead, with their rowids).
FTS_SHADOW = ("search_index_data", "search_index_idx", "search_index_content", "search_index_docsize")


def edit(seeds: Path, name: str, old: str, new: str) -> None:
    path = seeds / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def add_article(seeds: Path) -> None:
    """A copy of the solar article with its ids suffixed, whose folder sorts first (every later row moves)."""
    copy = seeds / "articles" / "ab-2023-06-15-eu-solar-copy"
    shutil.copytree(seeds / SOLAR, copy)
    ids = ["rz-2023-06-14-eu-solar-kyrgyzstan"]
    ids += [
        line.split("id:")[1].strip()
        for f in copy.glob("*.yaml")
        for line in f.read_text().splitlines()
        if line.strip().startswith("- id:")
    ]
    for f in copy.glob("*.yaml"):
        text = f.read_text(encoding="utf-8")
        for fact_id in sorted(ids, key=len, reverse=True):
            text = text.replace(f" {fact_id}\n", f" {fact_id}-copy\n").replace(f": {fact_id},", f": {fact_id}-copy,")
        f.write_text(text, encoding="utf-8")


CHANGES: dict[str, Callable[[Path], None]] = {
    "edit a quote": lambda s: edit(
        s, f"{RAIL}/quotes.yaml", "basis: Reported with the loan", "basis: Reported together with the loan"
    ),
    "add an article": add_article,
    "remove an article": lambda s: shutil.rmtree(s / SOLAR),
    "rename a shared entity": lambda s: edit(s, "entities.yaml", "    name: Kyrgyzstan\n", "    name: Kyrgyz Land\n"),
    # No article's text has the new name: no article is compiled again, the documents that embed him are rendered.
    "rename an entity, keeping the old name": lambda s: edit(
        s,
        "entities.yaml",
        "name: Hiroshi Tanabe\n    aliases: [Tanabe]",
        "name: Tanabe Hiroshi\n    aliases: [Tanabe, Hiroshi Tanabe]",
    ),
    "change an alias": lambda s: edit(s, "entities.yaml", "aliases: [Kyrgyz, Kyrgyz Republic]", "aliases: [Kyrgyz]"),
    "rename a local entity": lambda s: edit(
        s,
        "articles/mt-2023-02-28-blinken-central-asia/article.yaml",
        "name: Unnamed senior Central Asian diplomat",
        "name: A senior Central Asian diplomat",
    ),
}


def dump(path: Path) -> dict[str, list[Any]]:
    """Every row of every table, but ``dataset_info.loaded_at``; a search row with whether its rowid follows its
    fact's (the facts' own rowids, as SQLite gives them, are not content: an incremental load appends)."""
    db = sqlite3.connect(path)
    try:
        names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        tables: dict[str, list[Any]] = {}
        for name in names:
            if name in FTS_SHADOW or name == "search_index_config":
                continue
            # A search row with whether its rowid follows its fact's (app/matches.py), which must hold.
            columns = f"rowid = {FOLLOWS}, *" if name == "search_index" else "*"
            rows = db.execute(f"SELECT {columns} FROM {name}").fetchall()
            if name == "search_index":
                assert all(row[0] == 1 for row in rows), f"{path}: a search row's rowid is not its fact's"
            if name == "dataset_info":
                rows = [(id_, version, counts) for id_, version, _loaded_at, counts in rows]
            if name == "sqlite_stat1":  # planner statistics: those of the FTS5 b-trees depend on their layout
                rows = [row for row in rows if row[0] not in FTS_SHADOW]
            tables[name] = sorted(rows, key=repr)
        return tables
    finally:
        db.close()


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, set[Any]]]:
    """kind -> the ids of the documents rendered while the test runs."""
    seen: dict[str, set[Any]] = {}
    for resource in resources.RESOURCES:
        original = resource.render

        def spy(connection: Any, rows: Any, url: Any, kind: str = resource.kind, render: Any = original) -> Any:
            seen.setdefault(kind, set()).update(row.id for row in rows)
            return render(connection, rows, url)

        monkeypatch.setattr(resource, "render", spy)
    yield seen


@pytest.mark.parametrize("change", CHANGES)
def test_an_incremental_load_makes_what_a_full_rebuild_makes(change: str, seeds_copy: Path, tmp_path: Path) -> None:
    incremental, full = tmp_path / "incremental" / "facts.sqlite3", tmp_path / "full" / "facts.sqlite3"
    load(seeds_copy, incremental)
    CHANGES[change](seeds_copy)
    report = load_changes(seeds_copy, incremental).report
    assert report.startswith("incremental: "), report
    loaded = load(seeds_copy, full)
    assert dump(incremental) == dump(full)
    assert package_path(incremental, loaded.version).read_bytes() == package_path(full, loaded.version).read_bytes()
    assert len(list(incremental.parent.glob("*.datapackage.zip"))) == 1  # the old version's package is gone


def article_facts(db: Path, article: str) -> dict[str, set[Any]]:
    connection = sqlite3.connect(db)
    facts = {
        kind: {i for (i,) in connection.execute(f"SELECT id FROM {kind} WHERE article_id = ?", (article,))}
        for kind in ("mention", "quote", "pledge", "event")
    }
    connection.close()
    return {"article": {article}, **facts}


def test_an_edit_renders_only_the_facts_of_its_article(
    seeds_copy: Path, tmp_path: Path, rendered: dict[str, set[Any]]
) -> None:
    db = tmp_path / "facts.sqlite3"
    load(seeds_copy, db)
    CHANGES["edit a quote"](seeds_copy)
    rendered.clear()
    report = load_changes(seeds_copy, db).report
    expected = article_facts(db, "tl-2023-07-03-japan-uzbekistan-rail")
    assert {kind: ids for kind, ids in rendered.items() if ids} == expected
    assert f"{sum(map(len, expected.values()))} facts re-rendered" in report


def test_a_renamed_entity_renders_the_facts_that_embed_it_and_no_others(
    seeds_copy: Path, tmp_path: Path, rendered: dict[str, set[Any]]
) -> None:
    """No article's text has Tanabe's new name, so no article is compiled again; his quote, pledge, event and
    mentions in the rail article are rendered again for the new name (and his search names updated), the solar
    article's facts, which do not embed him, are not."""
    db = tmp_path / "facts.sqlite3"
    load(seeds_copy, db)
    CHANGES["rename an entity, keeping the old name"](seeds_copy)
    rendered.clear()
    report = load_changes(seeds_copy, db).report
    assert report.startswith("incremental: the entity registry and 0 articles changed"), report
    connection = sqlite3.connect(db)
    embedding = {  # every fact whose document embeds him
        kind: {i for (i,) in connection.execute(sql, ("hiroshi-tanabe",) * sql.count("?"))}
        for kind, sql in {
            "article": "SELECT id FROM article WHERE publisher_id = ?",
            "mention": "SELECT id FROM mention WHERE entity_id = ?",
            "quote": "SELECT id FROM quote WHERE speaker_id = ? UNION SELECT quote_id FROM quote_mention "
            "WHERE entity_id = ?",
            "pledge": "SELECT id FROM pledge WHERE ? IN (donor_id, announced_by_id) UNION "
            "SELECT pledge_id FROM pledge_recipient WHERE entity_id = ?",
            "event": "SELECT id FROM event WHERE location_id = ? UNION SELECT event_id FROM event_participant "
            "WHERE entity_id = ?",
        }.items()
    }
    assert "tanabe-trains-on-time" in embedding["quote"]
    assert {k: ids for k, ids in rendered.items() if k != "entity" and ids} == {k: v for k, v in embedding.items() if v}
    assert (
        "Tanabe Hiroshi" in connection.execute("SELECT doc FROM quote WHERE id = 'tanabe-trains-on-time'").fetchone()[0]
    )
    assert connection.execute("SELECT names FROM search_index WHERE id = 'tanabe-trains-on-time'").fetchone() == (
        "Tanabe Hiroshi Hiroshi Tanabe",
    )


def test_a_bad_seed_leaves_the_served_database_untouched(seeds_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "facts.sqlite3"
    load(seeds_copy, db)
    before = db.read_bytes(), db.stat().st_ino
    edit(seeds_copy, f"{RAIL}/quotes.yaml", "speaker: hiroshi-tanabe", "speaker: hiroshi-tanabee")
    with pytest.raises(SeedError) as error:
        load_changes(seeds_copy, db)
    assert "unknown entity 'hiroshi-tanabee'; did you mean 'hiroshi-tanabe'?" in str(error.value.problems)
    assert (db.read_bytes(), db.stat().st_ino) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_a_removed_event_still_referenced_falls_back_to_the_full_rebuild_which_reports_it(
    seeds_copy: Path, tmp_path: Path
) -> None:
    """Only the changed article is compiled, and the reference to its event is in another: the deferred foreign
    key catches it at the commit, and the full rebuild says where it is."""
    db = tmp_path / "facts.sqlite3"
    load(seeds_copy, db)
    edit(
        seeds_copy,
        f"{SOLAR}/quotes.yaml",
        "event: eu-kyrgyzstan-solar-signing-2023-06-14",
        "event: tanabe-visit-tashkent-2023",
    )
    assert load_changes(seeds_copy, db).report.startswith("incremental: 1 article changed")
    before = db.read_bytes()
    edit(seeds_copy, f"{RAIL}/events.yaml", "- id: tanabe-visit-tashkent-2023", "- id: tanabe-visit-tashkent")
    with pytest.raises(SeedError) as error:
        load_changes(seeds_copy, db)
    assert "unknown event 'tanabe-visit-tashkent-2023'; did you mean 'tanabe-visit-tashkent'?" in str(
        error.value.problems
    )
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    ("prepare", "reason"),
    [
        (lambda seeds, db: None, "full rebuild because there is no database there yet"),
        (lambda seeds, db: load(seeds, db), "incremental: 0 articles changed"),
        (
            lambda seeds, db: (load(seeds, db), (seeds / "notes.yaml").write_text("a: 1\n")),
            "full rebuild because notes.yaml changed, which is neither the entity registry nor an article's folder",
        ),
        (
            lambda seeds, db: (load(seeds, db), shutil.rmtree(seeds / SOLAR), shutil.rmtree(seeds / RAIL)),
            "full rebuild because 2 of 2 articles changed (more than 50%)",
        ),
        (
            lambda seeds, db: (
                load(seeds, db),
                edit(seeds, "entities.yaml", "[Central Asian]", "[Central Asian, said]"),
            ),
            "full rebuild because the registry change may move mentions in 4 of 4 articles (more than 50%)",
        ),
    ],
)
def test_load_says_what_it_did(prepare: Any, reason: str, seeds_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "facts.sqlite3"
    prepare(seeds_copy, db)
    assert load_changes(seeds_copy, db, allow_shrink=True).report.startswith(reason)


def test_the_cli_loads_incrementally_unless_told_full(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "facts.sqlite3"
    assert main(["load", str(seeds_copy), "--db", str(db)]) == 0
    assert "full rebuild because there is no database there yet" in capsys.readouterr().out
    CHANGES["edit a quote"](seeds_copy)
    assert main(["load", str(seeds_copy), "--db", str(db)]) == 0
    assert "incremental: 1 article changed, " in capsys.readouterr().out
    assert main(["load", str(seeds_copy), "--db", str(db), "--full"]) == 0
    assert "full rebuild because --full was given" in capsys.readouterr().out
