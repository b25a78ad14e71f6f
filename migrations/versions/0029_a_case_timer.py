"""The due time of each case's next timer in a table of its own (``case_timer``), kept equal to
``case.next_due_at`` by triggers (engine.store.models.CASE_TIMER_DDL), and the index the sweep reads by time
moved there from "case" (``ix_case_next_due_at`` dropped). A timer firing moves the due time; with that
column indexed on "case", every firing wrote a new entry in each of the case's eleven indexes, and their
page images were most of the sweep's WAL (bench.sweep, pg_walinspect). On PostgreSQL "case" also gets a
fillfactor (CASE_FILLFACTOR), so the firing's UPDATE, which now touches no indexed column, stays on its
page (HOT). The fillfactor applies to pages written from now on; ``VACUUM FULL "case"`` at a quiet time
applies it to the old ones (docs/operator-guide.md).

Revision ID: 0029_a
Revises: 0028_a
"""
from alembic import op
import sqlalchemy as sa

from engine.store.models import CASE_FILLFACTOR, CASE_TIMER_DDL, UTCDateTime

revision = '0029_a'
down_revision = '0028_a'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        'case_timer',
        sa.Column('case_id', BigId, nullable=False),
        sa.Column('due_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], name='fk_case_timer_case_id_case', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('case_id', name='pk_case_timer'),
    )
    bind.execute(sa.text('INSERT INTO case_timer (case_id, due_at) '
                         'SELECT id, next_due_at FROM "case" WHERE next_due_at IS NOT NULL'))
    op.create_index('ix_case_timer_due_at', 'case_timer', ['due_at'], unique=False)
    for statement in CASE_TIMER_DDL.get(bind.dialect.name, []):
        bind.exec_driver_sql(statement)
    op.drop_index('ix_case_next_due_at', table_name='case')
    if bind.dialect.name == 'postgresql':
        bind.exec_driver_sql(f'ALTER TABLE "case" SET (fillfactor = {CASE_FILLFACTOR})')


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        bind.exec_driver_sql('ALTER TABLE "case" RESET (fillfactor)')
        bind.exec_driver_sql('DROP TRIGGER case_timer_insert ON "case"')
        bind.exec_driver_sql('DROP TRIGGER case_timer_update ON "case"')
        bind.exec_driver_sql('DROP FUNCTION case_timer_inserted()')
        bind.exec_driver_sql('DROP FUNCTION case_timer_moved()')
    else:
        bind.exec_driver_sql('DROP TRIGGER case_timer_insert')
        bind.exec_driver_sql('DROP TRIGGER case_timer_update')
    op.create_index('ix_case_next_due_at', 'case', ['next_due_at'], unique=False,
                    postgresql_where=sa.text('next_due_at IS NOT NULL'), sqlite_where=sa.text('next_due_at IS NOT NULL'))
    op.drop_index('ix_case_timer_due_at', table_name='case_timer')
    op.drop_table('case_timer')
