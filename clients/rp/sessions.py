"""Server-side sessions of a relying application: the cookie holds a random id only (its
SHA-256 is stored), so a back-channel logout from the hub can end a session at once
(OpenID Connect Back-Channel Logout 1.0 §2.7). The hub's tokens are stored encrypted (Fernet,
key derived from the client secret): a copy of the database alone does not give them."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import MetaData, String, Text, delete, or_, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sitekit.storage.database import rowcount
from sitekit.storage.orm import NAMING, TYPE_ANNOTATION_MAP

if TYPE_CHECKING:
    from sitekit.storage.database import Database


class Base(DeclarativeBase):
    """Declarative base of an application's tables (its own database, its own metadata),
    with the hub's naming convention and column types."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = TYPE_ANNOTATION_MAP


class RpSession(Base):
    __tablename__ = "rp_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    sid: Mapped[str | None] = mapped_column(String(64), index=True)  # the hub's session
    sub: Mapped[str] = mapped_column(String(255), index=True)
    claims: Mapped[dict[str, Any]] = mapped_column(default=dict)
    csrf: Mapped[str] = mapped_column(String(64))
    id_token: Mapped[str] = mapped_column(Text)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[int]
    created_at: Mapped[int]
    expires_at: Mapped[int] = mapped_column(index=True)


@dataclass
class UserSession:
    id: str
    sub: str
    sid: str | None
    claims: dict[str, Any]
    csrf: str
    id_token: str
    access_token: str
    refresh_token: str | None
    access_expires_at: int
    extra: dict[str, Any] = field(default_factory=dict)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def token_box(client_secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"relying-party session tokens").derive(client_secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class SessionStore:
    """Synchronous database operations (call them from a worker thread)."""

    def __init__(self, db: Database, ttl: int, box: Fernet) -> None:
        self.db = db
        self.ttl = ttl
        self.box = box

    def _seal(self, value: str | None) -> str | None:
        return None if value is None else self.box.encrypt(value.encode()).decode()

    @overload
    def _open(self, value: str) -> str: ...
    @overload
    def _open(self, value: None) -> None: ...
    @overload
    def _open(self, value: str | None) -> str | None: ...

    def _open(self, value: str | None) -> str | None:
        return None if value is None else self.box.decrypt(value.encode()).decode()

    def create(self, now: int, *, sub: str, sid: str | None, claims: dict[str, Any], id_token: str,
               access_token: str, refresh_token: str | None, access_expires_at: int) -> str:
        session_id = secrets.token_urlsafe(32)
        with self.db.transaction() as s:
            s.add(RpSession(id_hash=_hash(session_id), sid=sid, sub=sub, claims=claims,
                            csrf=secrets.token_urlsafe(32), id_token=self._seal(id_token),
                            access_token=self._seal(access_token),
                            refresh_token=self._seal(refresh_token),
                            access_expires_at=access_expires_at, created_at=now,
                            expires_at=now + self.ttl))
        return session_id

    def load(self, session_id: str | None, now: int) -> UserSession | None:
        if not session_id or len(session_id) > 128:
            return None
        with self.db.read() as s:
            row = s.get(RpSession, _hash(session_id))
            if row is None or row.expires_at <= now:
                return None
            return UserSession(session_id, row.sub, row.sid, dict(row.claims), row.csrf,
                               self._open(row.id_token), self._open(row.access_token),
                               self._open(row.refresh_token),
                               row.access_expires_at)

    def update_tokens(self, session_id: str, access_token: str, refresh_token: str | None,
                      access_expires_at: int) -> None:
        with self.db.transaction() as s:
            s.execute(update(RpSession).where(RpSession.id_hash == _hash(session_id)).values(
                access_token=self._seal(access_token), refresh_token=self._seal(refresh_token),
                access_expires_at=access_expires_at))

    def end(self, session_id: str) -> None:
        with self.db.transaction() as s:
            s.execute(delete(RpSession).where(RpSession.id_hash == _hash(session_id)))

    def end_for_hub_session(self, sid: str | None, sub: str | None) -> int:
        """Back-channel logout: every local session of that hub session (or subject)."""
        condition = []
        if sid:
            condition.append(RpSession.sid == sid)
        elif sub:
            condition.append(RpSession.sub == sub)
        if not condition:
            return 0
        with self.db.transaction() as s:
            return rowcount(s.execute(delete(RpSession).where(or_(*condition))))

    def purge(self, now: int) -> int:
        with self.db.transaction() as s:
            return rowcount(s.execute(delete(RpSession).where(RpSession.expires_at <= now)))

    def count(self) -> int:
        with self.db.read() as s:
            return len(s.scalars(select(RpSession.id_hash)).all())
