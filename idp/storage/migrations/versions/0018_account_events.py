"""account events

Revision ID: 0018
Revises: 0017 (chained after the history's 0020, merged first)
Create Date: 2026-11-27 20:00:00

Where a client wants to be told of events on its users' accounts (`account_events_uri`:
a Security Event Token, RFC 8417, pushed per RFC 8935 when an account is deleted). NULL:
the client is not told. The outbox's HTTP deliveries use its existing columns.
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('clients', sa.Column('account_events_uri', sa.String(length=1024),
                                       nullable=True))


def downgrade() -> None:
    # SQLite has DROP COLUMN since 3.35: no batch copy of `clients` (others refer to it).
    op.drop_column('clients', 'account_events_uri')
