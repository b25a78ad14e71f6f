"""What a death leaves to close (rules audit): a window referral (转办) ended because its only subject died, with
the day and the reason (``window_item.ended_on``, ``end_reason``); and the person who collects a benefit on the
recipient's behalf (代领人), by name and ID number, on the benefit (``recipient.collector_name``,
``collector_id_number``). All nullable: earlier rows have neither.

Revision ID: 0030_r
Revises: 0029_a
"""
from alembic import op
import sqlalchemy as sa

revision = '0030_r'
down_revision = '0029_a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('window_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('recipient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('collector_name', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('collector_id_number', sa.String(length=18), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('recipient', schema=None) as batch_op:
        batch_op.drop_column('collector_id_number')
        batch_op.drop_column('collector_name')
    with op.batch_alter_table('window_item', schema=None) as batch_op:
        batch_op.drop_column('end_reason')
        batch_op.drop_column('ended_on')
