"""Township-level cases (monthly cut-offs) have no village.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case") as batch_op:
        batch_op.alter_column("village_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("case") as batch_op:
        batch_op.alter_column("village_id", existing_type=sa.Integer(), nullable=False)
