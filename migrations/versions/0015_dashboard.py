"""the supervisor's dashboard: summary tables the scheduler's dashboard job rewrites; saved filters;
when each scheduler job last ran (health and metrics).

Revision ID: 0015_dashboard
Revises: 0013_task_ops
"""
from alembic import op
import sqlalchemy as sa

from engine.store.models import JsonType, UTCDateTime

revision = '0015_dashboard'
down_revision = '0013_task_ops'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('dash_case_month',
    sa.Column('id', BIG, nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('assistance_type', sa.String(length=40), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('running', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('approved', sa.Integer(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('decision_days', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dash_case_month')))
    op.create_index('ix_dash_case_month_county', 'dash_case_month', ['county_id', 'month'])
    op.create_table('dash_backlog',
    sa.Column('id', BIG, nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('assistance_type', sa.String(length=40), nullable=False),
    sa.Column('step', sa.String(length=200), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.Column('overdue', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dash_backlog')))
    op.create_index(op.f('ix_dash_backlog_county_id'), 'dash_backlog', ['county_id'])
    op.create_table('dash_step_time',
    sa.Column('id', BIG, nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('process_version_id', sa.Integer(), nullable=False),
    sa.Column('task_name', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('median_hours', sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=True),
    sa.Column('p90_hours', sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=True),
    sa.Column('waiting', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dash_step_time')))
    op.create_index(op.f('ix_dash_step_time_county_id'), 'dash_step_time', ['county_id'])
    op.create_table('dash_township',
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('overdue_tasks', sa.Integer(), nullable=False),
    sa.Column('supervision_open', sa.Integer(), nullable=False),
    sa.Column('reviews_due', sa.Integer(), nullable=False),
    sa.Column('reviews_running', sa.Integer(), nullable=False),
    sa.Column('reviews_done', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('township_id', name=op.f('pk_dash_township')))
    op.create_index(op.f('ix_dash_township_county_id'), 'dash_township', ['county_id'])
    op.create_table('dash_refresh',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refreshed_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dash_refresh')))
    op.create_table('saved_filter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('query', JsonType, nullable=False),
    sa.Column('shared', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], name=op.f('fk_saved_filter_owner_id_app_user'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['county_id'], ['unit.id'], name=op.f('fk_saved_filter_county_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filter')),
    sa.UniqueConstraint('owner_id', 'name', name='saved_filter_owner_name'))
    op.create_index('ix_saved_filter_county', 'saved_filter', ['county_id', 'shared'])
    op.create_table('scheduler_run',
    sa.Column('job', sa.String(length=40), nullable=False),
    sa.Column('finished_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('job', name=op.f('pk_scheduler_run')))


def downgrade() -> None:
    for name in ('scheduler_run', 'saved_filter', 'dash_refresh', 'dash_township', 'dash_step_time', 'dash_backlog', 'dash_case_month'):
        op.drop_table(name)
