"""annotations of each article, and mentions as a resource

Every span of every fact of an article (evidence and entity mentions) is rendered at load time into the
`annotation` table, numbered in reading order, so `/v1/articles/{id}/annotations` is one statement reading one
index. Each mention gets its own rendered `doc` (`/v1/mentions`), and an (article, id) index for its default
order (mentions are numbered in reading order).

Revision ID: 366835850206
Revises: 4f802fd5b6f4
Create Date: 2026-12-01 00:41:28.176967
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "366835850206"
down_revision: str | Sequence[str] | None = "4f802fd5b6f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "annotation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("fact_type", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("entity_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("doc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], name=op.f("fk_annotation_article_id_article")),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"], name=op.f("fk_annotation_entity_id_entity")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation")),
    )
    with op.batch_alter_table("annotation", schema=None) as batch_op:
        batch_op.create_index("ix_annotation_article_id", ["article_id", "id"], unique=False)

    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("doc", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index("ix_mention_article_id_id", ["article_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_article_id_id")
        batch_op.drop_column("doc")

    with op.batch_alter_table("annotation", schema=None) as batch_op:
        batch_op.drop_index("ix_annotation_article_id")

    op.drop_table("annotation")
