"""Mark a case whose timer fired from its plan with a column of its own (``case.plan_applied``) instead of
writing the empty text over its state. Overwriting the state freed its TOAST chunks on PostgreSQL, and the
page images of those chunks were about 40 % of a sweep's WAL (bench.sweep, pg_walinspect); the firing now
leaves the old state where it is, and the next write of a state clears the mark
(engine.cases.writer.state_columns). Cases fired before this revision (state '') are marked here.

Revision ID: 0028_a
Revises: 0027_a
"""
from alembic import op
import sqlalchemy as sa

revision = '0028_a'
down_revision = '0027_a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE on both stores (SQLite ≥ 3.35 adds and drops such a column in place): a batch copy
    # of "case" would trip the foreign keys that point at it.
    op.add_column('case', sa.Column('plan_applied', sa.Boolean(), server_default='0', nullable=False))
    op.get_bind().execute(sa.text('UPDATE "case" SET plan_applied = true WHERE state = \'\''))


def downgrade() -> None:
    op.get_bind().execute(sa.text('UPDATE "case" SET state = \'\' WHERE plan_applied'))
    op.drop_column('case', 'plan_applied')
