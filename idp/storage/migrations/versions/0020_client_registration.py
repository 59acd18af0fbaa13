"""client registration

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-27 20:40:00

Dynamic client registration (RFC 7591, RFC 7592): on `clients`, the owner application of a
registered client, the hash of its registration access token and its software_id, and the
operator's registration policy of an application (scopes, audiences, longest secret
lifetime); the one-row `clients_version` bumped with every change of a client, so every
process drops its cached clients within a second.
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

EPOCH = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    version = op.create_table('clients_version',
    sa.Column('id', EPOCH, nullable=False),
    sa.Column('version', EPOCH, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clients_version'))
    )
    op.bulk_insert(version, [{'id': 1, 'version': 0}])
    op.add_column('clients', sa.Column('owner_client_id', sa.String(length=255), nullable=True))
    op.add_column('clients', sa.Column('registration_token_hash', sa.String(length=64),
                                       nullable=True))
    op.add_column('clients', sa.Column('software_id', sa.String(length=255), nullable=True))
    op.add_column('clients', sa.Column('registration_scope', sa.String(length=1024),
                                       nullable=True))
    op.add_column('clients', sa.Column('registration_audiences', sa.JSON(), nullable=True))
    op.add_column('clients', sa.Column('registration_max_secret_days', EPOCH, nullable=True))
    op.create_index(op.f('ix_clients_owner_client_id'), 'clients', ['owner_client_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_clients_owner_client_id'), table_name='clients')
    for column in ('registration_max_secret_days', 'registration_audiences',
                   'registration_scope', 'software_id', 'registration_token_hash',
                   'owner_client_id'):
        op.drop_column('clients', column)
    op.drop_table('clients_version')
