"""date spans: the longest date range of each dated kind of fact, so a bound on a range's later end seeks the sort index

Revision ID: 8c3f1b7d9e21
Revises: 8c3f1d2e9a47
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "8c3f1b7d9e21"
down_revision: str | Sequence[str] | None = "8c3f1d2e9a47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "date_span",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("date_span")
