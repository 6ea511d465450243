"""What a list's ``q`` matches (the full-text query itself: app/fts.py), and how a list reads its matches.

On SQLite a search row's rowid is its fact's rowid (in the table named by its kind) times ROWID_STEP plus its kind's
code (ROWID_KINDS): then "is this fact a match?" is a test on the rowids FTS5 reads from a word's doclist alone, no
search row read. The loader (fts.index_rows) and tools/synth number the rows so; migration 9a4c2e7c0d21 renumbered
those of databases loaded before. A list's ``q`` with a common word (COMMON matches of its kind or more) walks the
list's sort index, testing each fact's rowid against the set of the matches' rowids, and stops at the page; with a
rare word it reads the few matches' ids and sorts them. PostgreSQL always does the latter (its own planner chooses).
The fact tables' rowids are implicit (their ids are text), and SQLite's VACUUM may renumber those: a file is never
vacuumed after its load (a VACUUM added one day must renumber the search rows as the migration does).
"""

from typing import Any

from sqlalchemy import Connection, Select, bindparam, case, column, false, func, literal_column, select, table

SEARCH_INDEX = table(
    "search_index", column("kind"), column("id"), column("label"), column("body"), column("names"), column("document")
)
ROWID_KINDS = {"entity": 0, "article": 1, "quote": 2, "pledge": 3, "event": 4}
ROWID_STEP = len(ROWID_KINDS)
COMMON = 1000
# Counted on the doclist's rowids alone (the kind is in the rowid), only as far as COMMON.
SQLITE_COMMON = (
    f"SELECT count(*) FROM (SELECT 1 FROM search_index WHERE search_index MATCH ? AND rowid % {ROWID_STEP} = ? LIMIT ?)"
)
_MATCH = literal_column("search_index").op("MATCH")(bindparam("q"))


def search_rowid(kind: str, id_: str) -> str:
    """SQL for the rowid of the search row of the fact of kind ``kind`` and id ``id_`` (two SQL expressions)."""
    arms = (
        f"WHEN '{k}' THEN (SELECT rowid FROM {k} WHERE id = {id_}) * {ROWID_STEP} + {c}" for k, c in ROWID_KINDS.items()
    )
    return f"CASE {kind} {' '.join(arms)} END"


def _of_kind() -> Any:
    """SQLite: the search rows of kind ``:search_kind``, told by their rowids before any row's columns are read."""
    return literal_column("search_index.rowid") % ROWID_STEP == case(ROWID_KINDS, value=bindparam("search_kind"))


def plan(connection: Connection, table: Any, column: Any, kind: str, q: str | None) -> str:
    """How a list of ``table`` (its facts found by ``column``) reads its matches for the query ``q`` of ``kind``:
    "none" (no words), "members" (a common word, on SQLite, when ``column`` is the table's own id) or "match"."""
    if q is None:
        return "none"
    if connection.dialect.name == "postgresql" or table.__tablename__ != kind or column is not table.id:
        return "match"
    common = connection.exec_driver_sql(SQLITE_COMMON, (q, ROWID_KINDS[kind], COMMON)).scalar_one()
    return "members" if common >= COMMON else "match"


def condition(dialect: str, table: Any, column: Any, plan: str) -> Any:
    """The condition a list's ``q`` adds for its ``plan`` (see ``plan``); both plans select the same facts."""
    if plan == "none":
        return false()
    if plan == "match":
        return column.in_(matching_ids(dialect))
    rowid: Any = literal_column(f"{table.__tablename__}.rowid") * ROWID_STEP + ROWID_KINDS[table.__tablename__]
    # Only its kind's rowids in the set SQLite builds (61k of the 98k for quotes?q=security at 1M: 24.8 -> 12.7 ms).
    return rowid.in_(select(literal_column("rowid")).select_from(SEARCH_INDEX).where(_MATCH, _of_kind()))


def count(table: Any, plan: str, conditions: list[Any]) -> Select[Any]:
    """The count of a list's matches: with a common word and no other condition, read off the doclist alone."""
    if plan == "members" and len(conditions) == 1:
        return select(func.count()).select_from(SEARCH_INDEX).where(_MATCH, _of_kind())
    return select(func.count()).select_from(table).where(*conditions)


def matching_ids(dialect: str) -> Any:
    """A subquery of the ids of kind ``:search_kind`` whose indexed text matches the query ``:q`` (see ``query``):
    on SQLite, told by their rowids, so that only the matches of that kind are read."""
    if dialect == "postgresql":
        return select(SEARCH_INDEX.c.id).where(
            SEARCH_INDEX.c.document.bool_op("@@")(func.to_tsquery(literal_column("'simple'"), bindparam("q"))),
            SEARCH_INDEX.c.kind == bindparam("search_kind"),
        )
    return select(SEARCH_INDEX.c.id).where(_MATCH, _of_kind())
