"""a privacy case (吉林: 艾滋病病人或感染者) is hidden from the community, and documents can be voided (作废)

Revision ID: 0024_b
Revises: 0023_a
"""
from alembic import op
import sqlalchemy as sa

from engine.store.models import UTCDateTime

revision = '0024_b'
down_revision = '0023_a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('case', 'household'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('privacy', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_at', UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('voided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('voided_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('task_id', sa.String(length=36), nullable=True))
        batch_op.create_foreign_key('fk_document_voided_by_id_app_user', 'app_user', ['voided_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_constraint('fk_document_voided_by_id_app_user', type_='foreignkey')
        for column in ('task_id', 'voided_reason', 'voided_by_id', 'voided_at'):
            batch_op.drop_column(column)
    for table in ('household', 'case'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('privacy')
