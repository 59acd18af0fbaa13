"""login names: every name an account logs in with, normalised, under a unique key

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 14:00:00

Seed 001: an account logs in with its identifier, its whole e-mail address or (agents) the
left part of that address, in any case; no two accounts may share one of these names.

Existing accounts get their identifier and e-mail address (agent left parts follow
IDP_AGENT_EMAIL_DOMAINS, which a migration does not read: the hub adds them when it starts,
idp/accounts/login_name_sync.py). When existing accounts clash (two identifiers differing
only in case, one address on two accounts, an identifier equal to another's address), the
migration does not stop: identifiers go first, then addresses, each to the oldest account;
every clash is reported as a warning naming both accounts, and `idp users
check-identifiers` lists the accounts still lacking a name until the operator renames one.
Stopping would leave the whole hub down (`idp serve` migrates at start) over a few accounts,
each of which still logs in with its other names once the operator has been told.

The normalisation is copied here from idp/login_names.py so that this migration keeps doing
what it did when later code changes.
"""
import logging
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

log = logging.getLogger("idp.login_names")


def _normalise(value: str) -> str:
    folded = unicodedata.normalize("NFKC", value).casefold()
    return unicodedata.normalize("NFKC", folded).strip()


def upgrade() -> None:
    login_names = op.create_table(
        'login_names',
        sa.Column('name', sa.String(length=320), nullable=False),
        sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_login_names_account_id_accounts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_login_names')),
    )
    with op.batch_alter_table('login_names', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_names_account_id'), ['account_id'],
                              unique=False)
    settings = op.create_table(
        'login_name_settings',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('agent_email_domains', sa.String(length=2000), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_name_settings')),
    )
    op.bulk_insert(settings, [{'id': 1, 'agent_email_domains': ''}])

    accounts = op.get_bind().execute(
        sa.text("SELECT id, username, email FROM accounts ORDER BY id")).all()
    held: dict[str, tuple[int, str, str]] = {}  # name -> (account id, username, kind)
    rows = []
    for kind, column in (("identifier", 1), ("email", 2)):
        for account in accounts:
            if not account[column] or not _normalise(account[column]):
                continue
            name = _normalise(account[column])
            holder = held.get(name)
            if holder is None:
                held[name] = (account[0], account[1], kind)
                rows.append({'name': name, 'account_id': account[0], 'kind': kind})
            elif holder[0] != account[0]:
                log.warning(
                    "login name clash: %r, %s of account %r (id %d), is already the %s of "
                    "account %r (id %d): %r cannot log in with it; rename one of them "
                    "(idp users update) then run idp users check-identifiers",
                    name, kind, account[1], account[0], holder[2], holder[1], holder[0],
                    account[1])
    if rows:
        op.bulk_insert(login_names, rows)


def downgrade() -> None:
    op.drop_table('login_name_settings')
    with op.batch_alter_table('login_names', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_names_account_id'))
    op.drop_table('login_names')
