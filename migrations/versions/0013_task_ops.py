"""the clerk's operations: a task's holder (认领), a case's suspension (挂起), notifications to one person and
when each person last read theirs.

Revision ID: 0013_task_ops
Revises: 0012_payment
"""
from alembic import op
import sqlalchemy as sa

from engine.store.models import UTCDateTime

revision = '0013_task_ops'
down_revision = '0012_payment'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_human_task_claimed_by_id_app_user'), 'app_user',
                                    ['claimed_by_id'], ['id'])
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('suspended_reason', sa.String(length=500), nullable=True))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notification_user_id_app_user'), 'app_user',
                                    ['user_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notifications_seen_at', UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('notifications_seen_at')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notification_user_id_app_user'), type_='foreignkey')
        batch_op.drop_column('user_id')
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_column('suspended_reason')
        batch_op.drop_column('suspended_at')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_human_task_claimed_by_id_app_user'), type_='foreignkey')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by_id')
