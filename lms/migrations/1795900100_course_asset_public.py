"""course files read only by hidden tests are stored but not served

Revision ID: 1795900100
Revises: 1795900000
Create Date: 2026-12-01 17:55:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "1795900100"
down_revision: str | Sequence[str] | None = "1795900000"
branch_labels: str | Sequence[str] | None = ()
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("course_asset", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("course_asset", schema=None) as batch_op:
        batch_op.drop_column("public")
