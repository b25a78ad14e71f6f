"""the clerk's further operations: 委派 (delegate) on the task row, 加签/会签 co-signers, 代理 standing proxies.

Revision ID: 0017_ops2
Revises: 0016_simulation
"""
from alembic import op
import sqlalchemy as sa

from engine.store.models import UTCDateTime


revision = '0017_ops2'
down_revision = '0016_simulation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('standing_proxy',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('proxy_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_standing_proxy_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['proxy_id'], ['app_user.id'], name=op.f('fk_standing_proxy_proxy_id_app_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_standing_proxy_unit_id_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_standing_proxy_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standing_proxy'))
    )
    with op.batch_alter_table('standing_proxy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standing_proxy_proxy_id'), ['proxy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_standing_proxy_user_id'), ['user_id'], unique=False)

    op.create_table('task_cosigner',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=False),
    sa.Column('added_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('signed_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('opinion', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['added_by_id'], ['app_user.id'], name=op.f('fk_task_cosigner_added_by_id_app_user')),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_task_cosigner_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_task_cosigner_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_cosigner')),
    sa.UniqueConstraint('task_id', 'user_id', name='task_cosigner_once')
    )
    with op.batch_alter_table('task_cosigner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_cosigner_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delegated_to_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('delegated_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_human_task_delegated_by_id_app_user'), 'app_user', ['delegated_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_human_task_delegated_to_id_app_user'), 'app_user', ['delegated_to_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_human_task_delegated_to_id_app_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_human_task_delegated_by_id_app_user'), type_='foreignkey')
        batch_op.drop_column('delegated_by_id')
        batch_op.drop_column('delegated_to_id')

    with op.batch_alter_table('task_cosigner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_cosigner_task_id'))

    op.drop_table('task_cosigner')
    with op.batch_alter_table('standing_proxy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standing_proxy_user_id'))
        batch_op.drop_index(batch_op.f('ix_standing_proxy_proxy_id'))

    op.drop_table('standing_proxy')
