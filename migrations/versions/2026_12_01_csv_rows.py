"""csv rows: each fact's CSV row, rendered at load time beside its JSON, so a CSV page costs what a JSON page does

Revision ID: 8c3f1d2e9a47
Revises: 5d1e7a0c2b9f
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "8c3f1d2e9a47"
down_revision: str | Sequence[str] | None = "5d1e7a0c2b9f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("entity", "article", "mention", "quote", "pledge", "event")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("csv", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("csv")
