"""typed identifiers out of clear

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-27 14:10:00

Issue 10, finding 5: what was typed as identifier at a failed login (possibly a password
typed in the wrong field) was kept in clear in throttle keys ("account:<typed>") and in the
detail of login.failure / login.locked audit events ("username"). From now on both hold its
HMAC under the hub's identifier key, which a migration cannot read (it lives in the keys
folder): the clear values are removed instead. The per-identifier failure counts restart
(locks in force on an identifier are lifted; the per-address counts and locks stay).
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    connection = op.get_bind()
    connection.execute(sa.text("DELETE FROM login_throttle WHERE key LIKE 'account:%'"))
    audit = sa.table("audit_events", sa.column("id", sa.BigInteger),
                     sa.column("event", sa.String), sa.column("detail", sa.JSON))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(audit.c.id, audit.c.detail)
            .where(audit.c.event.in_(["login.failure", "login.locked"]), audit.c.id > last_id)
            .order_by(audit.c.id).limit(BATCH)).all()
        if not rows:
            break
        last_id = rows[-1].id
        for row in rows:
            if isinstance(row.detail, dict) and "username" in row.detail:
                detail = {k: v for k, v in row.detail.items() if k != "username"}
                connection.execute(audit.update().where(audit.c.id == row.id)
                                   .values(detail={**detail, "identifier": "removed"}))


def downgrade() -> None:
    # What was removed cannot come back; the hashed keys are simply left to expire.
    pass
