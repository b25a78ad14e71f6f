"""province scale: the indexes the province bench found missing — a case's register changes (the dashboard
job's approved / refused tests), a case's open tasks with their due dates and a county's running cases by
township (the supervisor's overdue tests), a county's active benefits by review date (the review progress).

Revision ID: 0020_bench
Revises: 0016_simulation
"""
from alembic import op
import sqlalchemy as sa

revision = '0020_bench'
down_revision = '0022_joint_review'
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")
RUNNING = sa.text("status = 'running'")


def upgrade() -> None:
    op.create_index('ix_recipient_change_case', 'recipient_change', ['case_id', 'effect'])
    op.create_index('ix_human_task_open_case', 'human_task', ['case_id', 'due_on'], postgresql_where=OPEN,
                    sqlite_where=OPEN)
    op.create_index('ix_case_running_place', 'case', ['county_id', 'township_id', 'id'], postgresql_where=RUNNING,
                    sqlite_where=RUNNING)
    op.create_index('ix_recipient_county_review', 'recipient', ['county_id', 'status', 'next_review_on',
                                                               'review_case_id'])


def downgrade() -> None:
    op.drop_index('ix_recipient_county_review', table_name='recipient')
    op.drop_index('ix_case_running_place', table_name='case')
    op.drop_index('ix_human_task_open_case', table_name='human_task')
    op.drop_index('ix_recipient_change_case', table_name='recipient_change')
