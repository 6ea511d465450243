"""usd equivalents: each pledge's amount in US dollars at the time, to filter and sort across currencies

Revision ID: 5d1e7a0c2b9f
Revises: 366835850206
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d1e7a0c2b9f"
down_revision: str | Sequence[str] | None = "366835850206"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pledge") as batch:
        batch.add_column(sa.Column("usd", sa.Float(), nullable=True))
        batch.add_column(sa.Column("usd_equivalent", sa.JSON(), nullable=True))
        batch.create_index("ix_pledge_usd_id", ["usd", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pledge") as batch:
        batch.drop_index("ix_pledge_usd_id")
        batch.drop_column("usd_equivalent")
        batch.drop_column("usd")
