"""case.assistance_type: which catalogue type a case belongs to (lists, reports).

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case") as batch_op:
        batch_op.add_column(sa.Column("assistance_type", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case") as batch_op:
        batch_op.drop_column("assistance_type")
