"""search rowids: each search row's rowid follows from its fact's, so a list's `q` can test rowids alone

On SQLite a search row's rowid becomes its fact's rowid (in the table named by its kind) times 5 plus its kind's code
(entity 0, article 1, quote 2, pledge 3, event 4; app/fts.py ROWID_KINDS). A list's `q` with a common word then walks
the list's sort index and tests each fact's rowid against the rowids FTS5 reads from the word's doclist, without
reading a search row. Rows written before had arbitrary rowids, on which that test would answer wrong: they are
renumbered here (FTS5 cannot renumber in place without collisions, so the table is rebuilt). The rule is written out
here, not imported: this migration must keep doing what it did when app/fts.py changes. PostgreSQL keeps its plan.

Revision ID: 9a4c2e7c0d21
Revises: 9a4c2e7b5d13
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9a4c2e7c0d21"
down_revision: str | Sequence[str] | None = "9a4c2e7b5d13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_INDEX = """
CREATE VIRTUAL TABLE search_index USING fts5(
    kind UNINDEXED, id UNINDEXED, label, body, names,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
)
"""
COLUMNS = "kind, id, label, body, names"
KINDS = {"entity": 0, "article": 1, "quote": 2, "pledge": 3, "event": 4}
ROWID = "CASE kind {} END".format(
    " ".join(f"WHEN '{k}' THEN (SELECT rowid FROM {k} WHERE {k}.id = old.id) * 5 + {c}" for k, c in KINDS.items())
)


def _rebuild_sqlite(rowid: str) -> None:
    op.execute("ALTER TABLE search_index RENAME TO search_index_old")
    op.execute(SEARCH_INDEX)
    op.execute(f"INSERT INTO search_index (rowid, {COLUMNS}) SELECT {rowid}, {COLUMNS} FROM search_index_old AS old")
    op.execute("DROP TABLE search_index_old")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _rebuild_sqlite(ROWID)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _rebuild_sqlite("NULL")  # any rowids will do for the plan before
