"""four-letter prefixes: the search index gains an FTS5 prefix index for 4-character prefixes (`prefix = '2 3 4'`)

A type-ahead's fourth keystroke ("mini") used to merge the posting list of every word starting with those letters,
once per statement: 5-9 ms a statement at 1M quotes, against 0.1-0.4 ms for a 3-letter prefix, which has its own
index (docs/performance.md, "Search"). FTS5 fixes its prefix indexes when the table is created, so on SQLite the
table is rebuilt with the same rows and the same rowids (a search row's rowid follows its fact's, app/matches.py).
PostgreSQL's index is a tsvector under GIN, which needs no prefix index: nothing changes there.

Revision ID: 9a4c2e8d3f17
Revises: 9a4c2e6f1b30
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9a4c2e8d3f17"
down_revision: str | Sequence[str] | None = "9a4c2e6f1b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_INDEX = """
CREATE VIRTUAL TABLE search_index USING fts5(
    kind UNINDEXED, id UNINDEXED, label, body, names,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '{prefix}'
)
"""
COLUMNS = "rowid, kind, id, label, body, names"


def _rebuild_sqlite(prefix: str) -> None:
    op.execute("ALTER TABLE search_index RENAME TO search_index_old")
    op.execute(SEARCH_INDEX.format(prefix=prefix))
    op.execute(f"INSERT INTO search_index ({COLUMNS}) SELECT {COLUMNS} FROM search_index_old ORDER BY rowid")
    op.execute("DROP TABLE search_index_old")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _rebuild_sqlite("2 3 4")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _rebuild_sqlite("2 3")
