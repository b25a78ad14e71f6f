"""the designer's workbench: drafts of routes, and who deployed a version from the browser and why.

Revision ID: 0011_designer
Revises: 0010_household
"""
from alembic import op
import sqlalchemy as sa

from engine.store.models import JsonType, UTCDateTime

revision = '0011_designer'
down_revision = '0010_household'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deployed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_process_version_deployed_by_id_app_user'), 'app_user',
                                    ['deployed_by_id'], ['id'])
    op.create_table('process_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=100), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('based_on_version_id', sa.Integer(), nullable=True),
    sa.Column('bpmn_xml', sa.Text(), nullable=False),
    sa.Column('forms', JsonType, nullable=False),
    sa.Column('saved_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], name=op.f('fk_process_draft_author_id_app_user')),
    sa.ForeignKeyConstraint(['based_on_version_id'], ['process_version.id'],
                            name=op.f('fk_process_draft_based_on_version_id_process_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_draft')),
    sa.UniqueConstraint('process_id', 'author_id', name='process_draft_process_author')
    )


def downgrade() -> None:
    op.drop_table('process_draft')
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_process_version_deployed_by_id_app_user'), type_='foreignkey')
        batch_op.drop_column('note')
        batch_op.drop_column('deployed_by_id')
