"""A review (复核) that ended without applying an outcome (终止 by the county, a death that made it moot) left
its benefit linked to the finished case (``recipient.review_case_id``), so the periodic sweep, which starts
reviews only for unlinked benefits, never reviewed it again. The code now unlinks at every such end
(engine.households.register.release_review); this revision repairs the rows written before: a link to a
completed case whose outcome the register did not record (no ``recipient_change`` row of that case for the
benefit) is cleared, ``next_review_on`` left as it was, so the benefit is due again. A normal review end
already cleared its link in ``apply_outcome``, so nothing else is touched; a link to a running case stays.

Two partial indexes: ``ix_recipient_review_case`` (the benefit a review runs for: read at every review's end)
and ``ix_household_event_died`` (whether a person is recorded as dead: read at every lodging).

Revision ID: 0027_a
Revises: 0026_a
"""
from alembic import op
import sqlalchemy as sa

revision = '0027_a'
down_revision = '0026_a'
branch_labels = None
depends_on = None

STALE_LINKS = sa.text(
    'UPDATE recipient SET review_case_id = NULL '
    'WHERE review_case_id IN (SELECT id FROM "case" WHERE status = \'completed\') '
    'AND NOT EXISTS (SELECT 1 FROM recipient_change '
    'WHERE recipient_change.recipient_id = recipient.id AND recipient_change.case_id = recipient.review_case_id)')


def upgrade() -> None:
    with op.batch_alter_table('recipient', schema=None) as batch_op:
        batch_op.create_index('ix_recipient_review_case', ['review_case_id'], unique=False,
                              postgresql_where=sa.text('review_case_id IS NOT NULL'),
                              sqlite_where=sa.text('review_case_id IS NOT NULL'))
    with op.batch_alter_table('household_event', schema=None) as batch_op:
        batch_op.create_index('ix_household_event_died', ['person_id'], unique=False,
                              postgresql_where=sa.text("kind = 'died'"), sqlite_where=sa.text("kind = 'died'"))
    op.get_bind().execute(STALE_LINKS)


def downgrade() -> None:
    # The cleared links are not restored: each pointed at a finished case and stopped the benefit's reviews.
    with op.batch_alter_table('household_event', schema=None) as batch_op:
        batch_op.drop_index('ix_household_event_died')
    with op.batch_alter_table('recipient', schema=None) as batch_op:
        batch_op.drop_index('ix_recipient_review_case')
