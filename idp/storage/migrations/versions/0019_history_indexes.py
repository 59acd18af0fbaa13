"""indexes of the person's history and authorized applications

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27 20:20:00

The history page reads one account's events of a few kinds from a date, newest first, and
counts them (`audit_events (account_id, event, at)`: the account's many other events —
tokens issued at each refresh — are not read). Withdrawing an application's access revokes
the account's grants for it and finds the browser sessions it knows (`grants.account_id`,
`session_clients.account_id`, also what deleting an account looks up). Indexes only.
"""
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_audit_events_account_event_at', 'audit_events',
                    ['account_id', 'event', 'at'], unique=False)
    op.create_index(op.f('ix_grants_account_id'), 'grants', ['account_id'], unique=False)
    op.create_index(op.f('ix_session_clients_account_id'), 'session_clients', ['account_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_session_clients_account_id'), table_name='session_clients')
    op.drop_index(op.f('ix_grants_account_id'), table_name='grants')
    op.drop_index('ix_audit_events_account_event_at', table_name='audit_events')
