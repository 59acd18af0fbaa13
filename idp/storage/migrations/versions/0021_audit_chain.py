"""audit chain

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-28 03:00:00

The audit trail's hash chain (issue 16, item 6): on `audit_events`, the writing process's
stream, the event's number in it, the previous event's chain value and its own (events written
before stay without: `idp audit verify` counts them as not chained); `audit_checkpoints`, a
stream's head signed with the hub's key.
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

EPOCH = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('audit_events') as batch:
        batch.add_column(sa.Column('stream', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('seq', EPOCH, nullable=True))
        batch.add_column(sa.Column('prev', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('chain', sa.String(length=64), nullable=True))
    op.create_index('ix_audit_events_stream_seq', 'audit_events', ['stream', 'seq'],
                    unique=False)
    op.create_table('audit_checkpoints',
    sa.Column('id', EPOCH, nullable=False),
    sa.Column('stream', sa.String(length=16), nullable=False),
    sa.Column('seq', EPOCH, nullable=False),
    sa.Column('at', EPOCH, nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('jws', sa.String(length=1024), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints'))
    )
    op.create_index('ix_audit_checkpoints_stream_seq', 'audit_checkpoints', ['stream', 'seq'],
                    unique=False)
    op.create_index(op.f('ix_audit_checkpoints_at'), 'audit_checkpoints', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_audit_checkpoints_at'), table_name='audit_checkpoints')
    op.drop_index('ix_audit_checkpoints_stream_seq', table_name='audit_checkpoints')
    op.drop_table('audit_checkpoints')
    op.drop_index('ix_audit_events_stream_seq', table_name='audit_events')
    with op.batch_alter_table('audit_events') as batch:
        for column in ('chain', 'prev', 'seq', 'stream'):
            batch.drop_column(column)
