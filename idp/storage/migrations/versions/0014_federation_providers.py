"""federation providers

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 16:42:31

The registry of upstream identity providers (FI): `identity_providers` (client secret sealed
by the keys folder's secret box), `provider_health` (consecutive failures shared by every
process), the one-row `federation_version` bumped with every change so other processes
reload, and each client's allow list of FIs (`clients.allowed_providers`, NULL: every FI).
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

EPOCH = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    version = op.create_table('federation_version',
    sa.Column('id', EPOCH, nullable=False),
    sa.Column('version', EPOCH, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federation_version'))
    )
    op.bulk_insert(version, [{'id': 1, 'version': 0}])
    op.create_table('identity_providers',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('logo_url', sa.String(length=1024), nullable=True),
    sa.Column('discovery_url', sa.String(length=1024), nullable=True),
    sa.Column('issuer', sa.String(length=1024), nullable=True),
    sa.Column('authorization_endpoint', sa.String(length=1024), nullable=True),
    sa.Column('token_endpoint', sa.String(length=1024), nullable=True),
    sa.Column('userinfo_endpoint', sa.String(length=1024), nullable=True),
    sa.Column('jwks_uri', sa.String(length=1024), nullable=True),
    sa.Column('end_session_endpoint', sa.String(length=1024), nullable=True),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('client_secret_sealed', sa.String(length=1024), nullable=True),
    sa.Column('token_endpoint_auth_method', sa.String(length=32), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('acr_values', sa.JSON(), nullable=False),
    sa.Column('position', EPOCH, nullable=False),
    sa.Column('shown', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_at', EPOCH, nullable=True),
    sa.Column('created_at', EPOCH, nullable=False),
    sa.Column('updated_at', EPOCH, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_providers'))
    )
    op.create_table('provider_health',
    sa.Column('provider_id', sa.String(length=40), nullable=False),
    sa.Column('consecutive_failures', EPOCH, nullable=False),
    sa.Column('unavailable_until', EPOCH, nullable=True),
    sa.Column('state_since', EPOCH, nullable=False),
    sa.Column('last_failure_at', EPOCH, nullable=True),
    sa.Column('last_failure_reason', sa.String(length=200), nullable=True),
    sa.Column('last_success_at', EPOCH, nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['identity_providers.id'], name=op.f('fk_provider_health_provider_id_identity_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provider_id', name=op.f('pk_provider_health'))
    )
    # A plain ADD COLUMN (SQLite has it): no batch copy of `clients`, whose rows other
    # tables reference with ON DELETE CASCADE.
    op.add_column('clients', sa.Column('allowed_providers', sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    # SQLite has DROP COLUMN since 3.35: no batch copy of `clients` either.
    op.drop_column('clients', 'allowed_providers')
    op.drop_table('provider_health')
    op.drop_table('identity_providers')
    op.drop_table('federation_version')
