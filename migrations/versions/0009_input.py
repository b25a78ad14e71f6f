"""provisional due dates (暂定), recomputable overall limits, new-application request tokens

Revision ID: 0007_input
Revises: 0007_unit_of_work
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_input'
down_revision = '0007_unit_of_work'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 待定 (no date) becomes 暂定 (an estimated date): the same flag, renamed. Rows still flagged get
    # their estimated date from `jiuzhu calendar reload`.
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.alter_column('due_tbd', new_column_name='due_provisional', existing_type=sa.Boolean(),
                              existing_nullable=False, existing_server_default=sa.text('0'))
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('limit_workdays', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('due_provisional', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('request_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_case_request_token'), ['request_token'])


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_case_request_token'), type_='unique')
        batch_op.drop_column('request_token')
        batch_op.drop_column('due_provisional')
        batch_op.drop_column('limit_workdays')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.alter_column('due_provisional', new_column_name='due_tbd', existing_type=sa.Boolean(),
                              existing_nullable=False, existing_server_default=sa.text('0'))
