"""county rules an admin adds in the browser: dated entries laid over processes/counties.toml, retired, never deleted.

Revision ID: 0021_rule_overlay
Revises: 0016_simulation
"""
from alembic import op
import sqlalchemy as sa

from engine.store.models import BigId, JsonType, UTCDateTime

revision = '0021_rule_overlay'
down_revision = '0019_supervision'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'county_rule_entry',
        sa.Column('id', BigId, nullable=False),
        sa.Column('county_code', sa.String(length=6), nullable=False),
        sa.Column('township_code', sa.String(length=9), nullable=True),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('entry', JsonType, nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('retired_from', sa.Date(), nullable=True),
        sa.Column('retired_by_id', sa.Integer(), nullable=True),
        sa.Column('retired_at', UTCDateTime(), nullable=True),
        sa.Column('retire_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_county_rule_entry_created_by_id_app_user'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['retired_by_id'], ['app_user.id'], name=op.f('fk_county_rule_entry_retired_by_id_app_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_county_rule_entry')),
    )
    op.create_index(op.f('ix_county_rule_entry_county_code'), 'county_rule_entry', ['county_code'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_county_rule_entry_county_code'), table_name='county_rule_entry')
    op.drop_table('county_rule_entry')
