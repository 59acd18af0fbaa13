"""Forgotten-password secrets: decoy challenges (no account), keyed code hashes, redacted
outbox texts.

Challenges written before this revision hold SHA-256 code hashes that the keyed hash never
matches: they are deleted (a user simply asks for a new code). Texts of messages already
sent are removed, as the dispatcher now does at sending.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.execute("DELETE FROM recovery_challenges")
    with op.batch_alter_table('recovery_challenges', schema=None) as batch_op:
        batch_op.alter_column('account_id', existing_type=ID, nullable=True)
    op.execute("UPDATE outbox SET subject = '', body = '' WHERE sent_at IS NOT NULL")


def downgrade() -> None:
    op.execute("DELETE FROM recovery_challenges")
    with op.batch_alter_table('recovery_challenges', schema=None) as batch_op:
        batch_op.alter_column('account_id', existing_type=ID, nullable=False)
