"""saved filters of the inbox as well as of the supervisor's case list: which list a filter is of (``kind``) and,
for an inbox filter, the unit it is shared in (``unit_id``); case events by time, for the county's operation log.

Revision ID: 0018_inbox
Revises: 0016_simulation
"""
from alembic import op
import sqlalchemy as sa

revision = '0018_inbox'
down_revision = '0017_ops2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('saved_filter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='cases', nullable=False))
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_saved_filter_unit_id_unit'), 'unit', ['unit_id'], ['id'])
        batch_op.create_index('ix_saved_filter_unit', ['unit_id', 'kind', 'shared'])
    op.create_index('ix_case_event_at', 'case_event', ['at'])


def downgrade() -> None:
    op.drop_index('ix_case_event_at', table_name='case_event')
    with op.batch_alter_table('saved_filter', schema=None) as batch_op:
        batch_op.drop_index('ix_saved_filter_unit')
        batch_op.drop_constraint(batch_op.f('fk_saved_filter_unit_id_unit'), type_='foreignkey')
        batch_op.drop_column('unit_id')
        batch_op.drop_column('kind')
