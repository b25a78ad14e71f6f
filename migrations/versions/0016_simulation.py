"""the designer's decision tables: a draft keeps the DMN edited with it, a version keeps the DMN it deployed.

Revision ID: 0016_simulation
Revises: 0014_window
"""
from alembic import op
import sqlalchemy as sa

from engine.store.models import JsonType

revision = '0016_simulation'
down_revision = '0014_window'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_draft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decisions', JsonType, nullable=True))
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decisions', JsonType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.drop_column('decisions')
    with op.batch_alter_table('process_draft', schema=None) as batch_op:
        batch_op.drop_column('decisions')
