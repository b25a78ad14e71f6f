"""notification.params: a notification's values by name (case number, step, person, reason …), so the page renders
its kind's text in the reader's language; rows written before keep their stored (Chinese) message.

Revision ID: 0023_d
Revises: 0023_number_serials
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0023_d'
down_revision = '0023_number_serials'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('notification', sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                                            nullable=True))


def downgrade() -> None:
    op.drop_column('notification', 'params')
