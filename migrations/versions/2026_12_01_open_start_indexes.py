"""open-start indexes: the facts with no known first day, by their later end; the quotes' sort index with it too

A bound on a fact's later end (``said_on__gte``) seeks the sort index to the day less the longest range of the
facts with a known first day; the open-started ones (stored from 0001-01-01) are found apart: through a partial
index on their later end when few match, else by walking them in the sort's order, where the quotes' sort index
now holds the later end to test (``params.LaterEnd``).

Revision ID: 9a4c2e7b5d13
Revises: 9a4c2e7b1d05
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a4c2e7b5d13"
down_revision: str | Sequence[str] | None = "9a4c2e7b1d05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATES = {"article": "published_on", "quote": "said_on", "pledge": "announced_on", "event": "date"}


def upgrade() -> None:
    for table, name in DATES.items():
        where = sa.text(f"{name}_earliest = '0001-01-01'")
        columns = [f"{name}_earliest", f"{name}_latest", "id"]
        index = f"ix_{table}_{name}_open_start"
        op.create_index(index, table, columns, unique=False, sqlite_where=where, postgresql_where=where)
    op.drop_index("ix_quote_said_on_earliest_id", table_name="quote")
    columns = ["said_on_earliest", "id", "said_on_latest"]
    op.create_index("ix_quote_said_on_earliest_id_latest", "quote", columns, unique=False)


def downgrade() -> None:
    op.drop_index("ix_quote_said_on_earliest_id_latest", table_name="quote")
    op.create_index("ix_quote_said_on_earliest_id", "quote", ["said_on_earliest", "id"], unique=False)
    for table, name in DATES.items():
        op.drop_index(f"ix_{table}_{name}_open_start", table_name=table)
