"""recovery challenges

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 23:59:48.289382
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('recovery_challenges',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attempts', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sends', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('consumed_at', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_recovery_challenges_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_recovery_challenges'))
    )
    with op.batch_alter_table('recovery_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_challenges_expires_at'), ['expires_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('recovery_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_challenges_expires_at'))

    op.drop_table('recovery_challenges')

