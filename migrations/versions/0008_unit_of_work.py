"""Claims for the monthly cut-offs already opened.

A cut-off now claims its number (engine.cases.numbering.claim) before it is opened; the ones opened before
get their claims here, so an installation upgraded mid-month does not open that month twice.

Revision ID: 0007_unit_of_work
Revises: 0007_sessions
"""
from alembic import op

revision = "0007_unit_of_work"
down_revision = "0007_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Township cases (no village) are the cut-offs; their number names the township and the month.
    op.execute("""INSERT INTO number_sequence (key, value)
                  SELECT 'opened:' || number, 1 FROM "case" WHERE village_id IS NULL""")


def downgrade() -> None:
    op.execute("DELETE FROM number_sequence WHERE key LIKE 'opened:%'")
