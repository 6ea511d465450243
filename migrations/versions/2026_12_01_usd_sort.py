"""usd sort: a never-null key to sort pledges by their value in US dollars, those without money last both ways

`usd` is NULL for a pledge without a monetary amount, and a keyset cursor cannot resume after a NULL; `usd_sort`
(the value, -1 without one) and `usd_missing` (1 without one) are what `sort=usd` and `sort=-usd` order by
(app/resources.py, SortKey), each direction in an index of its own.

Revision ID: 9a4c2e7b1d05
Revises: 8c3f1e2d4b6a
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a4c2e7b1d05"
down_revision: str | Sequence[str] | None = "8c3f1e2d4b6a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Added NOT NULL with a default (what a pledge without money has), then the priced ones set: SQLite adds such
    # a column in place, where changing a column's nullability afterwards rebuilds the table, and its indexes in
    # no fixed order (two loads of the same seeds would then differ in their schema dump).
    with op.batch_alter_table("pledge") as batch:
        batch.add_column(sa.Column("usd_sort", sa.Float(), nullable=False, server_default="-1"))
        batch.add_column(sa.Column("usd_missing", sa.Integer(), nullable=False, server_default="1"))
    op.execute("UPDATE pledge SET usd_sort = usd, usd_missing = 0 WHERE usd IS NOT NULL")
    with op.batch_alter_table("pledge") as batch:
        batch.create_index("ix_pledge_usd_sort_id", ["usd_sort", "id"], unique=False)
        batch.create_index("ix_pledge_usd_missing_sort_id", ["usd_missing", "usd_sort", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pledge") as batch:
        batch.drop_index("ix_pledge_usd_missing_sort_id")
        batch.drop_index("ix_pledge_usd_sort_id")
        batch.drop_column("usd_missing")
        batch.drop_column("usd_sort")
