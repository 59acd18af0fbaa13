"""mobile reminder

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 00:03:30.536217
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mobile_reminder_silenced_until', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('mobile_reminder_silenced_until')


