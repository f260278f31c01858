"""course source revisions: content-addressed files, revision trees, the published revision per course

Revision ID: 1796000000
Revises: 1795900100
Create Date: 2026-12-01 22:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "1796000000"
down_revision: str | Sequence[str] | None = "1795900100"
branch_labels: str | Sequence[str] | None = ()
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema. Existing courses get their first revision at their next import (start-up)."""
    op.create_table(
        "source_blob",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_source_blob")),
    )
    op.create_table(
        "source_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_slug", sa.String(length=100), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("folder_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tree", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_source_revision_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["source_revision.id"],
            name=op.f("fk_source_revision_parent_id_source_revision"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_revision")),
    )
    with op.batch_alter_table("source_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_revision_course_slug"), ["course_slug"], unique=False)
    op.create_table(
        "published_revision",
        sa.Column("course_slug", sa.String(length=100), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["user_account.id"],
            name=op.f("fk_published_revision_published_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["source_revision.id"],
            name=op.f("fk_published_revision_revision_id_source_revision"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_slug", name=op.f("pk_published_revision")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("published_revision")
    with op.batch_alter_table("source_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_revision_course_slug"))
    op.drop_table("source_revision")
    op.drop_table("source_blob")
