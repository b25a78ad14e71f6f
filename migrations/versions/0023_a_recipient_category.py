"""the register records a benefit's category within its type (特困人员（孤儿）: 孤儿), as the route declares it

Revision ID: 0023_a
Revises: 0023_d
"""
from alembic import op
import sqlalchemy as sa

revision = '0023_a'
down_revision = '0023_d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('recipient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('recipient', schema=None) as batch_op:
        batch_op.drop_column('category')
