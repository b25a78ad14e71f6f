"""supervision of delegated decisions: the county's monthly 抽查 (sampling runs) and its reviews of cases (a
sample's review or a complaint's 入户调查).

Revision ID: 0019_supervision
Revises: 0016_simulation
"""
from alembic import op
import sqlalchemy as sa

from engine.store.models import BigId, JsonType, UTCDateTime

revision = '0019_supervision'
down_revision = '0018_inbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sampling_run',
        sa.Column('id', BigId, primary_key=True),
        sa.Column('county_id', sa.Integer, sa.ForeignKey('unit.id', name='fk_sampling_run_county_id_unit'),
                  nullable=False),
        sa.Column('month', sa.String(7), nullable=False),
        sa.Column('share', sa.Numeric(4, 3, asdecimal=False), nullable=False),
        sa.Column('seed', sa.String(40), nullable=False),
        sa.Column('population', JsonType, nullable=False),
        sa.Column('selected', JsonType, nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
    )
    op.create_index('uq_sampling_run_county_month', 'sampling_run', ['county_id', 'month'], unique=True)
    op.create_table(
        'supervision_review',
        sa.Column('id', BigId, primary_key=True),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('case_id', BigId, sa.ForeignKey('case.id', ondelete='CASCADE',
                                                  name='fk_supervision_review_case_id_case'), nullable=False),
        sa.Column('review_case_id', BigId, sa.ForeignKey('case.id', name='fk_supervision_review_review_case_id_case'),
                  nullable=False),
        sa.Column('county_id', sa.Integer, sa.ForeignKey('unit.id', name='fk_supervision_review_county_id_unit'),
                  nullable=False),
        sa.Column('run_id', BigId, sa.ForeignKey('sampling_run.id', name='fk_supervision_review_run_id_sampling_run'),
                  nullable=True),
        sa.Column('sample_key', sa.String(40), nullable=True),
        sa.Column('complaint_kind', sa.String(20), nullable=True),
        sa.Column('complaint', sa.String(500), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer, sa.ForeignKey('app_user.id',
                                                             name='fk_supervision_review_created_by_id_app_user'),
                  nullable=True),
        sa.UniqueConstraint('review_case_id', name='uq_supervision_review_review_case_id'),
        sa.UniqueConstraint('sample_key', name='uq_supervision_review_sample_key'),
    )
    op.create_index('ix_supervision_review_case_id', 'supervision_review', ['case_id'])
    op.create_index('ix_supervision_review_county', 'supervision_review', ['county_id', 'kind', 'created_at'])


def downgrade() -> None:
    op.drop_table('supervision_review')
    op.drop_table('sampling_run')
