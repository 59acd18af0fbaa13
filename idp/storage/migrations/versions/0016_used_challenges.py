"""used human-check challenges

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 20:10:00

The registration's human check (ALTCHA proof of work, seed 004 §1): each challenge is
accepted once; its signature is kept until the challenge expires (`used_challenges`).
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

EPOCH = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('used_challenges',
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('expires_at', EPOCH, nullable=False),
    sa.PrimaryKeyConstraint('signature', name=op.f('pk_used_challenges'))
    )
    op.create_index(op.f('ix_used_challenges_expires_at'), 'used_challenges', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_used_challenges_expires_at'), table_name='used_challenges')
    op.drop_table('used_challenges')
