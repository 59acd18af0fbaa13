"""pivot identity, federation links, stored pairwise subjects

Revision ID: 0013
Revises: 0012

Accounts get the citizen's pivot identity (idp/federation/pivot.py) and its hash, unique:
one person, one account. `federation_links` ties an identity provider's (provider_id,
provider_sub) to an account. `subjects` keeps each pairwise `sub` as first computed (OIDC
Core §8.1), so a new pairwise salt never changes one an application knows; rows are added
on first use (the value then is what earlier versions computed).
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

PIVOT_COLUMNS = (('usage_name', 256), ('birthdate', 10), ('gender', 6), ('birthplace', 5),
                 ('birthcountry', 5), ('identity_hash', 64))


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        for name, length in PIVOT_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
    # A unique index, not a constraint: SQLite adds it without copying the table.
    op.create_index('ix_accounts_identity_hash', 'accounts', ['identity_hash'], unique=True)
    _resize_names(256)
    op.create_table(
        'federation_links',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('provider_id', sa.String(length=64), nullable=False),
        sa.Column('provider_sub', sa.String(length=255), nullable=False),
        sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('first_used_at', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('last_used_at', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name='fk_federation_links_account_id_accounts',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_federation_links'),
        sa.UniqueConstraint('provider_id', 'provider_sub',
                            name='uq_federation_links_provider_id'),
    )
    op.create_index('ix_federation_links_account_id', 'federation_links', ['account_id'])
    op.create_table(
        'subjects',
        sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('sector', sa.String(length=255), nullable=False),
        sa.Column('sub', sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name='fk_subjects_account_id_accounts', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', 'sector', name='pk_subjects'),
        sa.UniqueConstraint('sector', 'sub', name='uq_subjects_sector'),
    )


def downgrade() -> None:
    op.drop_table('subjects')
    op.drop_index('ix_federation_links_account_id', table_name='federation_links')
    op.drop_table('federation_links')
    op.drop_index('ix_accounts_identity_hash', table_name='accounts')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        for name, _ in reversed(PIVOT_COLUMNS):
            batch_op.drop_column(name)
    _resize_names(255)


def _resize_names(length: int) -> None:
    """The pivot's names have up to 256 characters. SQLite does not enforce lengths (and
    would copy the table to change a type): PostgreSQL only."""
    if op.get_bind().dialect.name == 'sqlite':
        return
    for name in ('given_name', 'family_name'):
        op.alter_column('accounts', name, type_=sa.String(length=length),
                        existing_nullable=True)
