"""citizen accounts

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 19:55:00

The citizens' side (seed 004): single-use links sent by e-mail (`email_links`, hashed),
addresses of deleted accounts blocked for a year (`blocked_addresses`, keyed hashes), and on
`accounts` the pending registration's deadline, the registration choices with their dates,
the new-device alert switch and the inactivity warning's date. Existing accounts are usable
(`pending_until` NULL) and keep new-device alerts on.
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

EPOCH = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
ACCOUNT_EPOCHS = ('pending_until', 'terms_accepted_at', 'newsletter_since', 'alerts_since',
                  'inactivity_warned_at')


def upgrade() -> None:
    op.create_table('email_links',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('account_id', EPOCH, nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', EPOCH, nullable=False),
    sa.Column('expires_at', EPOCH, nullable=False),
    sa.Column('used_at', EPOCH, nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_email_links_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_email_links'))
    )
    op.create_index(op.f('ix_email_links_account_id'), 'email_links', ['account_id'], unique=False)
    op.create_index(op.f('ix_email_links_expires_at'), 'email_links', ['expires_at'], unique=False)
    op.create_table('blocked_addresses',
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('blocked_until', EPOCH, nullable=False),
    sa.PrimaryKeyConstraint('address_hash', name=op.f('pk_blocked_addresses'))
    )
    op.create_index(op.f('ix_blocked_addresses_blocked_until'), 'blocked_addresses', ['blocked_until'], unique=False)
    # Plain ADD COLUMN (SQLite has it): no batch copy of `accounts`, which many tables
    # reference with ON DELETE CASCADE.
    for name in ACCOUNT_EPOCHS:
        op.add_column('accounts', sa.Column(name, EPOCH, nullable=True))
    op.add_column('accounts', sa.Column('new_device_alerts', sa.Boolean(), nullable=False,
                                        server_default=sa.true()))
    op.create_index(op.f('ix_accounts_pending_until'), 'accounts', ['pending_until'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_accounts_pending_until'), table_name='accounts')
    # SQLite has DROP COLUMN since 3.35: no batch copy of `accounts` either.
    op.drop_column('accounts', 'new_device_alerts')
    for name in reversed(ACCOUNT_EPOCHS):
        op.drop_column('accounts', name)
    op.drop_index(op.f('ix_blocked_addresses_blocked_until'), table_name='blocked_addresses')
    op.drop_table('blocked_addresses')
    op.drop_index(op.f('ix_email_links_expires_at'), table_name='email_links')
    op.drop_index(op.f('ix_email_links_account_id'), table_name='email_links')
    op.drop_table('email_links')
