"""how a benefit is paid: the 社会保障卡（一卡通）or bank account, and who keeps it (代管, 57号第二十五、二十六条).

Revision ID: 0012_payment
Revises: 0011_designer
"""
from alembic import op
import sqlalchemy as sa

revision = '0012_payment'
down_revision = '0011_designer'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('recipient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_account', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('account_keeper', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('recipient', schema=None) as batch_op:
        batch_op.drop_column('account_keeper')
        batch_op.drop_column('payment_account')
