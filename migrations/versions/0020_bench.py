"""province scale: the indexes the province bench found missing — a case's register changes (the dashboard
job's approved / refused tests) and a case's open tasks with their due dates (the supervisor's overdue tests).

Revision ID: 0020_bench
Revises: 0016_simulation
"""
from alembic import op
import sqlalchemy as sa

revision = '0020_bench'
down_revision = '0016_simulation'
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_index('ix_recipient_change_case', 'recipient_change', ['case_id', 'effect'])
    op.create_index('ix_human_task_open_case', 'human_task', ['case_id', 'due_on'], postgresql_where=OPEN,
                    sqlite_where=OPEN)


def downgrade() -> None:
    op.drop_index('ix_human_task_open_case', table_name='human_task')
    op.drop_index('ix_recipient_change_case', table_name='recipient_change')
