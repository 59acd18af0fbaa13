"""Browser sessions at the hub, stored server-side; the cookie holds only a random id."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from idp.storage.models import Account, BrowserSession, SessionClient
from idp.storage.repositories.accounts import ACCOUNT_COLUMNS, account_from_row
from idp.storage.repositories.hashing import sha256_hex
from sitekit.storage.database import execute_sql, json_column, rowcount

if TYPE_CHECKING:
    from sitekit.storage.database import Database


def create_session(
    s: Session, session_id: str, sid: str, now: int, expires_at: int, data: dict[str, Any],
    account_id: int | None = None, acr: str | None = None, amr: tuple[str, ...] = (),
) -> None:
    """A new session row; with `account_id`, a logged-in one (authenticated at `now`),
    written by one INSERT."""
    execute_sql(s, "INSERT INTO browser_sessions (id_hash, sid, account_id, auth_time, acr, "
                "amr, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                    sha256_hex(session_id), sid, account_id,
                    now if account_id is not None else None, acr, json.dumps(list(amr)),
                    json.dumps(data), now, expires_at))


def replace_session(
    s: Session, previous_id: str, session_id: str, sid: str, now: int, expires_at: int,
    data: dict[str, Any], account_id: int, acr: str | None, amr: tuple[str, ...],
) -> None:
    """The row of session `previous_id` becomes the logged-in session `session_id` (a new id
    at login, OWASP session management): one UPDATE of the whole row, key included, where a
    DELETE then an INSERT took two; an INSERT when that row is gone (expired, logged out)."""
    replaced = rowcount(execute_sql(
        s, "UPDATE browser_sessions SET id_hash = ?, sid = ?, account_id = ?, auth_time = ?, "
        "acr = ?, amr = ?, data = ?, created_at = ?, expires_at = ? WHERE id_hash = ?", (
            sha256_hex(session_id), sid, account_id, now, acr, json.dumps(list(amr)),
            json.dumps(data), now, expires_at, sha256_hex(previous_id))))
    if not replaced:
        create_session(s, session_id, sid, now, expires_at, data, account_id, acr, amr)


class SessionRow(NamedTuple):
    sid: str
    account_id: int | None
    auth_time: int | None
    acr: str | None
    amr: list[str]
    data: dict[str, Any]
    account: Account | None  # the logged-in account, detached (read with the session)


# Built from the model's column names only, never from a value.
_SESSION_SQL = ("SELECT s.sid, s.account_id, s.auth_time, s.acr, s.amr, s.data, "  # noqa: S608
                f"{ACCOUNT_COLUMNS} FROM browser_sessions s "
                "LEFT JOIN accounts ON accounts.id = s.account_id "
                "WHERE s.id_hash = {p} AND s.expires_at > {p}")
# Read by nearly every page: one indexed read on a pooled connection, without the ORM's
# session and transaction (~0.2 ms of a worker each, bench/README.md), the logged-in
# account with it (its own ORM read in a transaction cost ~1.5 ms of CPU on PostgreSQL in a
# slow sitting, issue 16).
SESSION_ROW = {"sqlite": _SESSION_SQL.replace("{p}", "?"),
               "postgresql": _SESSION_SQL.replace("{p}", "%s")}


def find_session_row(db: Database, session_id: str, now: int) -> SessionRow | None:
    """The unexpired session of this cookie value (one read, without the ORM)."""
    row = db.fetch_one(SESSION_ROW, (sha256_hex(session_id), now))
    if row is None:
        return None
    sid, account_id, auth_time, acr, amr, data = row[:6]
    account = None if row[6] is None else account_from_row(row[6:], db.engine.dialect)
    return SessionRow(sid, account_id, auth_time, acr, json_column(amr) or [],
                      json_column(data) or {}, account)


def save_session_data(s: Session, session_id: str, data: dict[str, Any]) -> None:
    execute_sql(s, "UPDATE browser_sessions SET data = ? WHERE id_hash = ?",
                (json.dumps(data), sha256_hex(session_id)))


def delete_session(s: Session, session_id: str) -> None:
    execute_sql(s, "DELETE FROM browser_sessions WHERE id_hash = ?", (sha256_hex(session_id),))


def delete_session_by_sid(s: Session, sid: str) -> None:
    s.execute(delete(BrowserSession).where(BrowserSession.sid == sid))


def record_session_client(
    s: Session, sid: str, client_id: str, account_id: int, expires_at: int
) -> None:
    execute_sql(s, "INSERT INTO session_clients (sid, client_id, account_id, expires_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (sid, client_id) DO NOTHING",
                (sid, client_id, account_id, expires_at))


def session_clients(s: Session, sid: str) -> list[SessionClient]:
    return list(s.scalars(select(SessionClient).where(SessionClient.sid == sid)))


def account_client_sessions(s: Session, account_id: int, client_id: str) -> list[str]:
    """The sids of the account's browser sessions in which `client_id` received tokens."""
    return list(s.scalars(select(SessionClient.sid).where(
        SessionClient.account_id == account_id, SessionClient.client_id == client_id)))


def forget_account_client(s: Session, account_id: int, client_id: str) -> None:
    s.execute(delete(SessionClient).where(SessionClient.account_id == account_id,
                                          SessionClient.client_id == client_id))


def forget_session_clients(s: Session, sid: str) -> None:
    s.execute(delete(SessionClient).where(SessionClient.sid == sid))


def purge_expired_sessions(s: Session, now: int) -> int:
    s.execute(delete(SessionClient).where(SessionClient.expires_at <= now))
    result = s.execute(delete(BrowserSession).where(BrowserSession.expires_at <= now))
    return rowcount(result)


def end_account_sessions(s: Session, account_id: int) -> list[str]:
    """Delete every browser session logged in to the account; their sids (for the
    back-channel logout of their clients)."""
    sids = list(s.scalars(select(BrowserSession.sid).where(
        BrowserSession.account_id == account_id)))
    if sids:
        s.execute(delete(BrowserSession).where(BrowserSession.account_id == account_id))
    return sids
