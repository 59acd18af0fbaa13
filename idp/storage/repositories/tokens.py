"""Grants and the codes and tokens issued under them.

A grant is one authorization given to a client by an account. Its code, refresh tokens and
access tokens form a family: revoking the grant revokes them all (RFC 9700 §4.14.2,
RFC 6749 §4.1.2 for replayed codes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from idp.storage.models import (
    Account,
    AuthorizationCode,
    Grant,
    RefreshToken,
    RevokedAccessToken,
    UsedAssertion,
)
from idp.storage.repositories.accounts import ACCOUNT_COLUMNS, account_from_row
from idp.storage.repositories.hashing import sha256_hex
from sitekit.storage.database import Database, execute_sql, json_column, rowcount


def create_grant(s: Session, grant: Grant) -> None:
    """`grant` written by one INSERT (not added to `s`: read it back with `get_grant`)."""
    execute_sql(s, "INSERT INTO grants (id, client_id, account_id, scope, claims, sid, "
                "auth_time, acr, amr, created_at, expires_at, revoked_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                    grant.id, grant.client_id, grant.account_id, grant.scope,
                    None if grant.claims is None else json.dumps(grant.claims), grant.sid,
                    grant.auth_time, grant.acr, json.dumps(list(grant.amr or [])),
                    grant.created_at, grant.expires_at, grant.revoked_at))


def get_grant(s: Session, grant_id: str) -> Grant | None:
    return s.get(Grant, grant_id)


class GrantRow(NamedTuple):
    """A grant as the token endpoint reads it, by plain SQL (issue 16)."""
    id: str
    account_id: int
    scope: str
    claims: dict[str, Any] | None
    sid: str | None
    auth_time: int
    acr: str | None
    amr: list[str]
    expires_at: int
    revoked_at: int | None


def read_grant(s: Session, grant_id: str) -> GrantRow | None:
    """The grant, by one plain read in the transaction of `s` (no ORM object)."""
    row = execute_sql(s, "SELECT id, account_id, scope, claims, sid, auth_time, acr, amr, "
                      "expires_at, revoked_at FROM grants WHERE id = ?", (grant_id,)).fetchone()
    if row is None:
        return None
    v: tuple[Any, ...] = tuple(row)
    return GrantRow(v[0], v[1], v[2], json_column(v[3]), v[4], v[5], v[6],
                    json_column(v[7]) or [], v[8], v[9])


class GrantHolder(NamedTuple):
    """What the userinfo endpoint needs of an access token's grant, and its account."""
    client_id: str
    claims: dict[str, Any] | None  # the `claims` request parameter it was given with
    acr: str | None
    account: Account  # detached, for reading only


# Built from the model's column names only, never from a value.
_GRANT_HOLDER = (
    f"SELECT grants.client_id, grants.claims, grants.acr, {ACCOUNT_COLUMNS} "  # noqa: S608
    "FROM grants JOIN accounts ON accounts.id = grants.account_id WHERE grants.id = ?")
GRANT_HOLDER = {"sqlite": _GRANT_HOLDER, "postgresql": _GRANT_HOLDER.replace("?", "%s")}


def grant_holder(db: Database, grant_id: str) -> GrantHolder | None:
    """The grant and its account by one plain read (no transaction, no ORM: issue 16);
    None when either is gone."""
    row = db.fetch_one(GRANT_HOLDER, (grant_id,))
    if row is None:
        return None
    return GrantHolder(row[0], json_column(row[1]), row[2],
                       account_from_row(row[3:], db.engine.dialect))


def revoke_grant(s: Session, grant_id: str, now: int) -> None:
    s.execute(
        update(Grant).where(Grant.id == grant_id, Grant.revoked_at.is_(None)).values(revoked_at=now)
    )


def revoke_session_grants(s: Session, sid: str, now: int) -> list[str]:
    ids = list(s.scalars(select(Grant.id).where(Grant.sid == sid, Grant.revoked_at.is_(None))))
    if ids:
        s.execute(update(Grant).where(Grant.id.in_(ids)).values(revoked_at=now))
    return ids


def revoke_account_client_grants(s: Session, account_id: int, client_id: str,
                                 now: int) -> list[str]:
    """Every live grant the account gave `client_id` revoked (its refresh and access tokens
    with it); their ids."""
    ids = list(s.scalars(select(Grant.id).where(
        Grant.account_id == account_id, Grant.client_id == client_id,
        Grant.revoked_at.is_(None))))
    if ids:
        s.execute(update(Grant).where(Grant.id.in_(ids)).values(revoked_at=now))
    return ids
def revoke_account_grants(s: Session, account_id: int, now: int) -> int:
    """Revoke every grant of the account: its refresh tokens stop working and its access
    tokens are inactive at introspection."""
    return rowcount(s.execute(update(Grant).where(Grant.account_id == account_id,
                                                  Grant.revoked_at.is_(None))
                              .values(revoked_at=now)))


# Authorization codes -------------------------------------------------------------------------


def save_code(s: Session, code: str, *, grant_id: str, client_id: str, redirect_uri: str,
              code_challenge: str, nonce: str | None, expires_at: int) -> None:
    execute_sql(s, "INSERT INTO authorization_codes (code_hash, grant_id, client_id, "
                "redirect_uri, code_challenge, nonce, expires_at, consumed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, NULL)", (
                    sha256_hex(code), grant_id, client_id, redirect_uri, code_challenge, nonce,
                    expires_at))


class ConsumedCode(NamedTuple):
    """What the token request needs of a code it has just consumed."""
    grant_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    consumed_at: int


@dataclass(frozen=True)
class CodeRedemption:
    code: ConsumedCode | None
    replayed_grant_id: str | None = None


def consume_code(s: Session, code: str, client_id: str, now: int) -> CodeRedemption:
    """Consume a code exactly once, atomically (one UPDATE decides among concurrent requests;
    it returns the code's values, so a winner reads nothing more: issue 16).

    A code of another client is reported as unknown and left untouched. A code already
    consumed reports its grant so the caller revokes what it issued (RFC 6749 §4.1.2).
    """
    code_hash = sha256_hex(code)
    won = execute_sql(s, "UPDATE authorization_codes SET consumed_at = ? WHERE code_hash = ? "
                      "AND client_id = ? AND consumed_at IS NULL AND expires_at > ? "
                      "RETURNING grant_id, redirect_uri, code_challenge, nonce, consumed_at",
                      (now, code_hash, client_id, now)).fetchone()
    if won is not None:
        w: tuple[Any, ...] = tuple(won)
        return CodeRedemption(ConsumedCode(w[0], w[1], w[2], w[3], w[4]))
    lost = execute_sql(s, "SELECT grant_id, consumed_at FROM authorization_codes "
                       "WHERE code_hash = ? AND client_id = ?", (code_hash, client_id)).fetchone()
    grant_id, consumed_at = (None, None) if lost is None else tuple(lost)
    if consumed_at is not None:
        return CodeRedemption(None, replayed_grant_id=grant_id)
    return CodeRedemption(None)  # unknown, another client's, or expired


# Refresh tokens ------------------------------------------------------------------------------


def save_refresh_token(s: Session, token: str, *, grant_id: str, client_id: str, scope: str,
                       issued_at: int, expires_at: int) -> None:
    execute_sql(s, "INSERT INTO refresh_tokens (token_hash, grant_id, client_id, scope, "
                "issued_at, expires_at, rotated_at) VALUES (?, ?, ?, ?, ?, ?, NULL)", (
                    sha256_hex(token), grant_id, client_id, scope, issued_at, expires_at))


@dataclass(frozen=True)
class RefreshRedemption:
    token: RefreshToken | None
    grant: GrantRow | None = None
    replayed: bool = False


def find_refresh_token(s: Session, token: str) -> RefreshToken | None:
    return s.get(RefreshToken, sha256_hex(token))


def rotate_refresh_token(s: Session, token: str, client_id: str, now: int) -> RefreshRedemption:
    """Mark a refresh token used, once. Presenting a rotated token revokes its family."""
    token_hash = sha256_hex(token)
    row = s.get(RefreshToken, token_hash)
    if row is None or row.client_id != client_id:
        return RefreshRedemption(None)
    grant = read_grant(s, row.grant_id)
    if grant is None or grant.revoked_at is not None or row.expires_at <= now:
        return RefreshRedemption(None)
    won = rowcount(s.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == token_hash, RefreshToken.rotated_at.is_(None))
        .values(rotated_at=now)
    ))
    if won != 1:
        # RFC 9700 §4.14.2: a rotated refresh token used again means it leaked.
        revoke_grant(s, row.grant_id, now)
        return RefreshRedemption(None, grant, replayed=True)
    return RefreshRedemption(row, grant)


# Access tokens -------------------------------------------------------------------------------


def revoke_access_token(s: Session, jti: str, expires_at: int, now: int) -> None:
    if s.get(RevokedAccessToken, jti) is None:
        s.add(RevokedAccessToken(jti=jti, expires_at=expires_at, revoked_at=now))
        s.flush()


# Revoked: the token itself, or its grant is not there alive: revoked, or gone with its account
# (idp/portal/deletion.py; merged into another, idp/accounts/linking.py). One index probe on
# grants; a grant outlives its access tokens, so a purged one has none left alive.
_REVOKED_SQL = (
    "SELECT 1 FROM revoked_access_tokens WHERE jti = {p} "
    "UNION ALL SELECT 1 WHERE {p} <> '' "
    "AND NOT EXISTS (SELECT 1 FROM grants WHERE id = {p} AND revoked_at IS NULL)"
)
# Introspection's hot path: one statement per driver parameter style, no ORM.
ACCESS_TOKEN_REVOKED = {
    "sqlite": _REVOKED_SQL.format(p="?"),
    "postgresql": _REVOKED_SQL.format(p="%s"),
}


def access_token_revoked_read(jti: str, grant_id: str | None,
                              ) -> tuple[dict[str, str], tuple[str, ...]]:
    """The read of ``is_access_token_revoked``, to be done ahead (Database.run_on_event_loop's
    ``prefetch``)."""
    gid = grant_id or ""
    return ACCESS_TOKEN_REVOKED, (jti, gid, gid)


def is_access_token_revoked(db: Database, jti: str, grant_id: str | None) -> bool:
    """One round trip: the token itself, or the grant it belongs to, was revoked."""
    return db.fetch_one(*access_token_revoked_read(jti, grant_id)) is not None


# Client assertions (RFC 7523) ----------------------------------------------------------------


def remember_assertion(s: Session, client_id: str, jti: str, expires_at: int) -> bool:
    """Record a client-assertion jti; False when it was already used (a replay)."""
    try:
        with s.begin_nested():
            s.add(UsedAssertion(client_id=client_id, jti=jti, expires_at=expires_at))
    except IntegrityError:
        return False
    return True


def purge_expired(s: Session, now: int) -> None:
    s.execute(delete(AuthorizationCode).where(AuthorizationCode.expires_at <= now - 3600))
    s.execute(delete(RevokedAccessToken).where(RevokedAccessToken.expires_at <= now))
    s.execute(delete(UsedAssertion).where(UsedAssertion.expires_at <= now))
    s.execute(delete(RefreshToken).where(RefreshToken.expires_at <= now))
    s.execute(delete(Grant).where(Grant.expires_at <= now))
