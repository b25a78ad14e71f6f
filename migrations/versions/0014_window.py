"""the one-window intake: registrations, items and referrals, their supervision items

Revision ID: 0014_window
Revises: 0015_dashboard
"""
from alembic import op
import sqlalchemy as sa

from engine.store.models import UTCDateTime


revision = '0014_window'
down_revision = '0015_dashboard'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('window_registration',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('point', sa.String(length=20), nullable=False),
    sa.Column('applicant_name', sa.String(length=100), nullable=False),
    sa.Column('applicant_id_number', sa.String(length=18), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('difficulty', sa.Text(), nullable=False),
    sa.Column('registered_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=False),
    sa.Column('receipt', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['unit.id'], name=op.f('fk_window_registration_county_id_unit')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_window_registration_household_id_household')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['app_user.id'], name=op.f('fk_window_registration_registered_by_id_app_user')),
    sa.ForeignKeyConstraint(['township_id'], ['unit.id'], name=op.f('fk_window_registration_township_id_unit')),
    sa.ForeignKeyConstraint(['village_id'], ['unit.id'], name=op.f('fk_window_registration_village_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_window_registration')),
    sa.UniqueConstraint('number', name=op.f('uq_window_registration_number'))
    )
    with op.batch_alter_table('window_registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_window_registration_applicant_id_number'), ['applicant_id_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_window_registration_household_id'), ['household_id'], unique=False)
        batch_op.create_index('ix_window_registration_place', ['county_id', 'township_id', 'registered_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_window_registration_registered_by_id'), ['registered_by_id'], unique=False)

    op.create_table('window_item',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('registration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_code', sa.String(length=40), nullable=False),
    sa.Column('item_name', sa.String(length=60), nullable=False),
    sa.Column('department', sa.String(length=40), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('referred_on', sa.Date(), nullable=True),
    sa.Column('referral_due_on', sa.Date(), nullable=True),
    sa.Column('transfer_number', sa.String(length=60), nullable=True),
    sa.Column('transfer', sa.Text(), nullable=True),
    sa.Column('notice_due_on', sa.Date(), nullable=True),
    sa.Column('initial_due_on', sa.Date(), nullable=True),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('answer_note', sa.Text(), nullable=True),
    sa.Column('finish_due_on', sa.Date(), nullable=True),
    sa.Column('finished_on', sa.Date(), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('feedback_due_on', sa.Date(), nullable=True),
    sa.Column('fed_back_on', sa.Date(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('due_provisional', sa.Boolean(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['app_user.id'], name=op.f('fk_window_item_answered_by_id_app_user')),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_window_item_case_id_case'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['county_id'], ['unit.id'], name=op.f('fk_window_item_county_id_unit')),
    sa.ForeignKeyConstraint(['registration_id'], ['window_registration.id'], name=op.f('fk_window_item_registration_id_window_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['unit.id'], name=op.f('fk_window_item_township_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_window_item')),
    sa.UniqueConstraint('transfer_number', name=op.f('uq_window_item_transfer_number'))
    )
    with op.batch_alter_table('window_item', schema=None) as batch_op:
        batch_op.create_index('ix_window_item_department', ['department', 'county_id', 'status'], unique=False)
        batch_op.create_index('ix_window_item_due', ['status', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_window_item_registration_id'), ['registration_id'], unique=False)

    op.create_table('window_supervision_item',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('window_item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=40), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['county_id'], ['unit.id'], name=op.f('fk_window_supervision_item_county_id_unit')),
    sa.ForeignKeyConstraint(['township_id'], ['unit.id'], name=op.f('fk_window_supervision_item_township_id_unit')),
    sa.ForeignKeyConstraint(['window_item_id'], ['window_item.id'], name=op.f('fk_window_supervision_item_window_item_id_window_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_window_supervision_item'))
    )
    with op.batch_alter_table('window_supervision_item', schema=None) as batch_op:
        batch_op.create_index('ix_window_supervision_item_county', ['county_id', 'resolved_at'], unique=False)
        batch_op.create_index('uq_window_supervision_item_stage', ['window_item_id', 'stage'], unique=True)


    op.create_table('window_charity_referral',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('registration_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=100), nullable=False),
    sa.Column('project', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('referred_on', sa.Date(), nullable=False),
    sa.Column('referred_by_id', sa.Integer(), nullable=False),
    sa.Column('feedback', sa.Text(), nullable=True),
    sa.Column('fed_back_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['county_id'], ['unit.id'], name=op.f('fk_window_charity_referral_county_id_unit')),
    sa.ForeignKeyConstraint(['referred_by_id'], ['app_user.id'],
                            name=op.f('fk_window_charity_referral_referred_by_id_app_user')),
    sa.ForeignKeyConstraint(['registration_id'], ['window_registration.id'],
                            name=op.f('fk_window_charity_referral_registration_id_window_registration'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['township_id'], ['unit.id'], name=op.f('fk_window_charity_referral_township_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_window_charity_referral'))
    )
    with op.batch_alter_table('window_charity_referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_window_charity_referral_registration_id'), ['registration_id'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('window_charity_referral')
    with op.batch_alter_table('window_supervision_item', schema=None) as batch_op:
        batch_op.drop_index('uq_window_supervision_item_stage')
        batch_op.drop_index('ix_window_supervision_item_county')

    op.drop_table('window_supervision_item')
    with op.batch_alter_table('window_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_window_item_registration_id'))
        batch_op.drop_index('ix_window_item_due')
        batch_op.drop_index('ix_window_item_department')

    op.drop_table('window_item')
    with op.batch_alter_table('window_registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_window_registration_registered_by_id'))
        batch_op.drop_index('ix_window_registration_place')
        batch_op.drop_index(batch_op.f('ix_window_registration_household_id'))
        batch_op.drop_index(batch_op.f('ix_window_registration_applicant_id_number'))

    op.drop_table('window_registration')
