"""login throttle

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 23:54:20.066548
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=320), nullable=False),
    sa.Column('failures', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('window_start', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('locked_until', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )



def downgrade() -> None:

    op.drop_table('login_throttle')

