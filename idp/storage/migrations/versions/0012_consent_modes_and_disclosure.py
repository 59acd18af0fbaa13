"""consent modes, citizen-facing clients, remembered claims, FI of audit events

Revision ID: 0012
Revises: 0011

- clients.consent_mode (explicit | information | none): existing clients keep the consent
  page they had ("explicit"); clients.citizen_facing (FranceConnect's request rules), false.
- consents.claims: the claims a person agreed to, so that a request for others asks again
  (the `profile` scope now also carries birthdate and gender). Existing rows get the claims
  their scopes carried before this revision (the mapping is frozen here, not imported);
  consents.mode: "explicit" for every existing row (they were all consent pages).
- audit_events.fi: the upstream identity provider of a federated login (nullable).
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# idp/oidc/claims.py SCOPE_CLAIMS as it was before this revision.
SCOPE_CLAIMS_BEFORE = {
    "profile": ("name", "given_name", "family_name", "preferred_username", "updated_at"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "address": ("address",),
    "siret": ("siret",),
}
BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_mode', sa.String(length=16), nullable=False,
                                      server_default='explicit'))
        batch_op.add_column(sa.Column('citizen_facing', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claims', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('mode', sa.String(length=16), nullable=False,
                                      server_default='explicit'))
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fi', sa.String(length=64), nullable=True))

    connection = op.get_bind()
    consents = sa.table("consents", sa.column("id", sa.Integer), sa.column("scope", sa.String),
                        sa.column("claims", sa.JSON))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(consents.c.id, consents.c.scope).where(consents.c.id > last_id)
            .order_by(consents.c.id).limit(BATCH)).all()
        if not rows:
            break
        last_id = rows[-1].id
        for row in rows:
            claims = sorted({c for s in row.scope.split() for c in SCOPE_CLAIMS_BEFORE.get(s, ())})
            connection.execute(consents.update().where(consents.c.id == row.id)
                               .values(claims=claims))


def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('fi')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_column('mode')
        batch_op.drop_column('claims')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('citizen_facing')
        batch_op.drop_column('consent_mode')
