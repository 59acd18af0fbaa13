"""clients: signed introspection (RFC 9701 §6) and userinfo (OIDC Core §5.3.2) answers

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

COLUMNS = ('introspection_signed_response_alg', 'userinfo_signed_response_alg')


def upgrade() -> None:
    # Nullable, no default: existing clients keep their JSON answers.
    with op.batch_alter_table('clients', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('clients', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
