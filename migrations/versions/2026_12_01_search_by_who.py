"""search by who: the full-text index gains `names`, the names and aliases of each fact's people

A quote is found by its speaker's name, a pledge by its donor's, announcer's or recipients' names, an event by its
participants' (app/fts.py, weighted below the fact's own words). FTS5 cannot add a column to a virtual table, so on
SQLite the table is rebuilt (the rows keep empty names until the next load, which writes them); PostgreSQL adds a
plain column (the loader puts its words in `document` with weight C).

Revision ID: 8c3f1e2d4b6a
Revises: 8c3f1b7d9e21
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8c3f1e2d4b6a"
down_revision: str | Sequence[str] | None = "8c3f1b7d9e21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_INDEX = """
CREATE VIRTUAL TABLE search_index USING fts5(
    kind UNINDEXED, id UNINDEXED, label, body{names},
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
)
"""
COLUMNS = "rowid, kind, id, label, body"


def _rebuild_sqlite(names: str) -> None:
    op.execute("ALTER TABLE search_index RENAME TO search_index_old")
    op.execute(SEARCH_INDEX.format(names=names))
    op.execute(f"INSERT INTO search_index ({COLUMNS}) SELECT {COLUMNS} FROM search_index_old")
    op.execute("DROP TABLE search_index_old")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_index ADD COLUMN names VARCHAR NOT NULL DEFAULT ''")
        return
    _rebuild_sqlite(", names")  # NULL names until the next load: FTS5 indexes NULL as no words


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_index DROP COLUMN names")
        return
    _rebuild_sqlite("")
