"""Fill a benchmark hub's PostgreSQL database with N rows in each of the tables that grow in
production (issue 16, item 5): browser sessions, federation links, history events (audit
events of an account, which the person's history reads), refresh tokens (with their grants),
revoked access tokens and other audit events; plus the N accounts they belong to.

One `INSERT … SELECT … FROM generate_series` per table, run by PostgreSQL itself (no rows
travel from Python). Columns are read from the database: those named here get meaningful
values (unique keys, live expiry dates, accounts spread evenly), every other NOT NULL column
without a default gets a filler of its type, so a column added later does not break this.
Then ANALYZE, as autovacuum would after such a load.
Usage: rows.py DATABASE_URL N CLIENT_ID
"""

from __future__ import annotations

import sys
import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

FILLERS = {"integer": "i", "bigint": "i", "smallint": "0", "boolean": "false",
           "json": "'{}'", "jsonb": "'{}'", "text": "'b' || i",
           "character varying": "'b' || i", "double precision": "0"}


def columns(conn: Connection, table: str) -> list[tuple[str, str, str, bool]]:
    """(name, data type, full type, needs a value) of each column of `table`."""
    rows = conn.execute(text(
        "SELECT c.column_name, c.data_type, format_type(a.atttypid, a.atttypmod),"
        " c.is_nullable = 'NO' AND c.column_default IS NULL AND c.is_identity = 'NO'"
        " FROM information_schema.columns c JOIN pg_attribute a"
        " ON a.attrelid = (quote_ident(c.table_name))::regclass AND a.attname = c.column_name"
        " WHERE c.table_schema = current_schema() AND c.table_name = :t"
        " ORDER BY c.ordinal_position"), {"t": table})
    return [(r[0], r[1], r[2], bool(r[3])) for r in rows]


def fill(conn: Connection, table: str, n: int, values: dict[str, str]) -> None:
    names, exprs = [], []
    for name, data_type, full_type, required in columns(conn, table):
        if name in values:
            expr = values.pop(name)
        elif required:
            expr = FILLERS[data_type]
        else:
            continue
        names.append(f'"{name}"')
        exprs.append(f"CAST({expr} AS {full_type})")
    if values:
        raise RuntimeError(f"{table}: no column {sorted(values)} (schema changed?)")
    started = time.monotonic()
    conn.execute(text(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(exprs)}"
                      f" FROM generate_series(1, {n}) AS i"))
    print(f"  {table}: {n:,} rows in {time.monotonic() - started:.1f} s", file=sys.stderr)


def seed(database_url: str, n: int, client_id: str) -> None:
    engine = create_engine(database_url)
    now = int(time.time())
    live, past = f"{now + 30 * 86400}", f"{now} - i"
    with engine.begin() as conn:
        fill(conn, "accounts", n, {
            "subject": "'bench-rows-' || i", "username": "'bench-rows-' || i",
            "password_hash": "'!'", "population": "'citizen'", "created_at": past})
        base = conn.execute(text(
            "SELECT min(id) - 1 FROM accounts WHERE username LIKE 'bench-rows-%'")).scalar_one()
        account = f"({base} + i)"
        client = f"'{client_id}'"
        fill(conn, "browser_sessions", n, {
            "id_hash": "md5('s' || i) || md5('t' || i)", "sid": "md5('sid' || i)",
            "account_id": account, "auth_time": past, "amr": "'[\"pwd\"]'", "data": "'{}'",
            "created_at": past, "expires_at": live})
        fill(conn, "federation_links", n, {
            "provider_id": "'bench-fi'", "provider_sub": "'sub-' || i", "account_id": account,
            "first_used_at": past, "last_used_at": past})
        fill(conn, "grants", n, {
            "id": "'bench' || i", "client_id": client, "account_id": account,
            "scope": "'openid profile'", "auth_time": past, "amr": "'[\"pwd\"]'",
            "created_at": past, "expires_at": live})
        fill(conn, "refresh_tokens", n, {
            "token_hash": "md5('r' || i) || md5('q' || i)", "grant_id": "'bench' || i",
            "client_id": client, "scope": "'openid profile'", "issued_at": past,
            "expires_at": live})
        fill(conn, "revoked_access_tokens", n, {
            "jti": "md5('j' || i)", "expires_at": live, "revoked_at": past})
        fill(conn, "audit_events", n, {  # the history of each account (portal/history.py)
            "at": past, "event": "'login.success'", "account_id": account,
            "client_id": client, "ip": "'192.0.2.1'", "detail": "'{}'"})
        fill(conn, "audit_events", n, {  # machine traffic, no account
            "at": past, "event": "'token.issued'", "client_id": client,
            "detail": "'{\"grant_type\": \"client_credentials\"}'"})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


if __name__ == "__main__":
    seed(sys.argv[1], int(sys.argv[2]), sys.argv[3])
