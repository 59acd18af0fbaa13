"""Browser sessions at the hub: server-side rows; the cookie carries only a random id.

The id is rotated at login (a new row replaces the anonymous one, against session
fixation). Each session holds a CSRF token for its forms and the authorization requests
waiting for a login or a consent.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from idp.limits import MAX_PENDING_REQUESTS_CHARS, is_clean_identifier
from idp.oidc.checks import Authn
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import sessions as sessions_repo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from idp.clock import Clock
    from idp.storage.models import Account
    from sitekit.storage.database import Database

MAX_PENDING_REQUESTS = 10


@dataclass
class SessionState:
    id: str
    sid: str
    account: Account | None = None
    auth_time: int | None = None
    acr: str | None = None
    amr: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def unsaved(cls) -> SessionState:
        """A state to fill before its first write (see BrowserSessions.create)."""
        return cls(id="", sid="")

    @property
    def csrf_token(self) -> str:
        token: str = self.data["csrf"]
        return token

    @property
    def logged_in_account(self) -> Account:
        """The account of a session admitted as logged in (require_login, logged_in_session)."""
        assert self.account is not None, "admitted as logged in"
        return self.account

    def csrf_valid(self, presented: str | None) -> bool:
        if not presented:
            return False
        return hmac.compare_digest(presented.encode(), self.csrf_token.encode())

    @property
    def authn(self) -> Authn:
        if self.account is None:
            return Authn(sid=self.sid)
        federated = self.data.get("federation") or {}
        return Authn(self.account, self.auth_time, self.acr, self.amr, self.sid,
                     federated.get("provider_id"))

    def add_pending(self, params: list[tuple[str, str]], started_at: int) -> str:
        pending = self.data.setdefault("pending", {})
        size = _chars(params)
        # The row stays small whoever sends requests with this cookie (idp/limits.py).
        while pending and (len(pending) >= MAX_PENDING_REQUESTS or size + sum(
                _chars(p["params"]) for p in pending.values()) > MAX_PENDING_REQUESTS_CHARS):
            pending.pop(min(pending, key=lambda k: pending[k]["started_at"]))
        rid = secrets.token_urlsafe(12)
        pending[rid] = {"params": [list(p) for p in params], "started_at": started_at}
        return rid

    def get_pending(self, rid: str | None) -> dict[str, Any] | None:
        if not rid:
            return None
        pending: dict[str, Any] | None = self.data.get("pending", {}).get(rid)
        return pending

    def drop_pending(self, rid: str) -> None:
        self.data.get("pending", {}).pop(rid, None)


def _chars(params: Iterable[Sequence[str]]) -> int:
    return sum(len(name) + len(value) for name, value in params)


class BrowserSessions:
    """Synchronous (database) operations; pages call them through the thread pool."""

    def __init__(self, db: Database, clock: Clock, ttl: int) -> None:
        self.db = db
        self.clock = clock
        self.ttl = ttl  # IDP_SESSION_TTL

    def load(self, session_id: str | None) -> SessionState | None:
        if not is_clean_identifier(session_id, 128):
            return None
        row = sessions_repo.find_session_row(self.db, session_id, self.clock.now())
        if row is None:
            return None
        account = row.account
        if account is not None and account.disabled:
            account = None
        return SessionState(
            id=session_id, sid=row.sid, account=account,
            auth_time=row.auth_time if account else None, acr=row.acr if account else None,
            amr=tuple(row.amr) if account else (), data=dict(row.data),
        )

    def create(self, data: dict[str, Any] | None = None) -> SessionState:
        data = dict(data or {})
        data["csrf"] = secrets.token_urlsafe(32)
        session_id, sid = secrets.token_urlsafe(32), secrets.token_urlsafe(16)
        now = self.clock.now()
        with self.db.transaction() as s:
            expires_at = now + self.ttl
            sessions_repo.create_session(s, session_id, sid, now, expires_at, data)
        return SessionState(id=session_id, sid=sid, data=data)

    def save(self, state: SessionState, s: Session | None = None) -> None:
        """The session's data written, in the transaction of `s` if given, else in one of its
        own."""
        if s is not None:
            sessions_repo.save_session_data(s, state.id, state.data)
            return
        with self.db.transaction() as own:
            sessions_repo.save_session_data(own, state.id, state.data)

    def account(self, account_id: int) -> Account | None:
        """The account, detached, for reading only."""
        return accounts_repo.fetch_account(self.db, account_id)

    def log_in(self, previous: SessionState | None, account: Account, acr: str,
               amr: tuple[str, ...], extra: dict[str, Any] | None = None,
               within: Callable[[Session], object] | None = None) -> SessionState:
        """A new session id for the authenticated user; pending requests carry over. The sid
        (OIDC session) stays when the same user authenticates again (step-up, prompt=login),
        so the clients already told of it still get its logout. ``extra`` is kept in the new
        session's data (a federated login's FI and its ID token, for the logout); ``within``
        runs in the same transaction (the login's device, portal/devices.py)."""
        now = self.clock.now()
        same_user = previous if previous is not None and previous.account is not None and (
            previous.account.id == account.id) else None
        data = {"pending": (previous.data.get("pending", {}) if previous else {}),
                "csrf": secrets.token_urlsafe(32),
                # Shown on the portal ("last login"): the one before this session's login.
                "previous_login_at": (same_user.data.get("previous_login_at") if same_user
                                      else account.last_login_at),
                **(extra or {})}
        session_id = secrets.token_urlsafe(32)
        sid = same_user.sid if same_user else secrets.token_urlsafe(16)
        with self.db.transaction() as s:
            # One statement with the login in it (no UPDATE of the new row after).
            if previous is not None:
                sessions_repo.replace_session(s, previous.id, session_id, sid, now,
                                              now + self.ttl, data, account.id, acr, amr)
            else:
                sessions_repo.create_session(s, session_id, sid, now, now + self.ttl, data,
                                             account_id=account.id, acr=acr, amr=amr)
            accounts_repo.record_login(s, account.id, now)
            if within is not None:
                within(s)
        return SessionState(session_id, sid, account, now, acr, amr, data)

    def destroy(self, state: SessionState) -> None:
        with self.db.transaction() as s:
            sessions_repo.delete_session(s, state.id)
