"""A timer fired from its plan keeps the plan and leaves case.state empty: the plan's tail (after the first
newline) is the case's state from then on (engine.store.models.current_state_sql / case_state), so the sweep no
longer copies, compresses and writes a ~15 KB state per fired case (issue 14). No schema change: the upgrade has
nothing to do; the downgrade writes those states back, for the code before it.

Revision ID: 0025_a
Revises: 0024_e
"""
from alembic import op
import sqlalchemy as sa

revision = '0025_a'
down_revision = '0024_e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    position = "strpos" if op.get_bind().dialect.name == "postgresql" else "instr"
    op.execute(sa.text(f"UPDATE \"case\" SET state = substr(timer_plan, {position}(timer_plan, :sep) + 1), "
                       "timer_plan = NULL WHERE state = ''").bindparams(sep="\n"))
