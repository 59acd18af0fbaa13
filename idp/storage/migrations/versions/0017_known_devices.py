"""known devices

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 20:10:00

The browsers each account has logged in from (`known_devices`: a hash of the device cookie
per account, first and last seen), so a login from another one sends the "Nouvelle
connexion à votre compte" e-mail. A new table only: existing rows are untouched.
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

EPOCH = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('known_devices',
    sa.Column('account_id', EPOCH, nullable=False),
    sa.Column('device_hash', sa.String(length=64), nullable=False),
    sa.Column('first_seen_at', EPOCH, nullable=False),
    sa.Column('last_seen_at', EPOCH, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_known_devices_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'device_hash', name=op.f('pk_known_devices'))
    )


def downgrade() -> None:
    op.drop_table('known_devices')
