"""the joint review (会审) of the departments' assistance projects: projects, meetings, their audit trail

Revision ID: 0022_joint_review
Revises: 0016_simulation
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from engine.store.models import UTCDateTime

revision = '0022_joint_review'
down_revision = '0021_rule_overlay'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('joint_review_meeting',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('report_number', sa.String(length=60), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('chaired_by_id', sa.Integer(), nullable=False),
    sa.Column('held_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('attendees', sa.String(length=500), nullable=False),
    sa.Column('record', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.Column('report', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['chaired_by_id'], ['app_user.id'], name=op.f('fk_joint_review_meeting_chaired_by_id_app_user')),
    sa.ForeignKeyConstraint(['county_id'], ['unit.id'], name=op.f('fk_joint_review_meeting_county_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_joint_review_meeting')),
    sa.UniqueConstraint('number', name=op.f('uq_joint_review_meeting_number')),
    sa.UniqueConstraint('report_number', name=op.f('uq_joint_review_meeting_report_number'))
    )
    with op.batch_alter_table('joint_review_meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_joint_review_meeting_county_id'), ['county_id'], unique=False)

    op.create_table('joint_review_project',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('beneficiaries', sa.Integer(), nullable=True),
    sa.Column('budget', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('meeting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('approved_budget', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=True),
    sa.ForeignKeyConstraint(['county_id'], ['unit.id'], name=op.f('fk_joint_review_project_county_id_unit')),
    sa.ForeignKeyConstraint(['meeting_id'], ['joint_review_meeting.id'], name=op.f('fk_joint_review_project_meeting_id_joint_review_meeting')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['app_user.id'], name=op.f('fk_joint_review_project_reviewed_by_id_app_user')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['app_user.id'], name=op.f('fk_joint_review_project_submitted_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_joint_review_project'))
    )
    with op.batch_alter_table('joint_review_project', schema=None) as batch_op:
        batch_op.create_index('ix_joint_review_project_place', ['county_id', 'year', 'department', 'status'], unique=False)

    op.create_table('joint_review_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('meeting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_joint_review_event_actor_id_app_user')),
    sa.ForeignKeyConstraint(['county_id'], ['unit.id'], name=op.f('fk_joint_review_event_county_id_unit')),
    sa.ForeignKeyConstraint(['meeting_id'], ['joint_review_meeting.id'], name=op.f('fk_joint_review_event_meeting_id_joint_review_meeting')),
    sa.ForeignKeyConstraint(['project_id'], ['joint_review_project.id'], name=op.f('fk_joint_review_event_project_id_joint_review_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_joint_review_event'))
    )
    with op.batch_alter_table('joint_review_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_joint_review_event_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('joint_review_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_joint_review_event_project_id'))

    op.drop_table('joint_review_event')
    with op.batch_alter_table('joint_review_project', schema=None) as batch_op:
        batch_op.drop_index('ix_joint_review_project_place')

    op.drop_table('joint_review_project')
    with op.batch_alter_table('joint_review_meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_joint_review_meeting_county_id'))

    op.drop_table('joint_review_meeting')
