"""The browser session read without the ORM (sessions_repo.find_session_row) answers as the
ORM's read does, on both backends: JSON decoded, expiry honoured, unknown ids absent."""

from __future__ import annotations

from idp.storage.models import BrowserSession
from idp.storage.repositories import sessions as sessions_repo
from idp.storage.repositories.hashing import sha256_hex


def test_the_row_read_without_the_orm_matches_the_orm_read(rt) -> None:  # type: ignore[no-untyped-def]
    now = rt.clock.now()
    data = {"csrf": "t", "pending": {"r1": {"params": [["scope", "openid é"]],
                                            "started_at": now}}, "quote": "a'\"\x01"}
    with rt.db.transaction() as s:
        sessions_repo.create_session(s, "cookie-value", "sid-1", now, now + 60, data,
                                     acr="eidas1", amr=("pwd", "otp"))
    row = sessions_repo.find_session_row(rt.db, "cookie-value", now)
    with rt.db.read() as s:
        orm = s.get(BrowserSession, sha256_hex("cookie-value"))
        assert orm is not None
        expected = (orm.sid, orm.account_id, orm.auth_time, orm.acr, orm.amr, orm.data)
    assert row[:6] == expected and row.account is None
    assert row.data == data and row.amr == ["pwd", "otp"]


def test_an_expired_or_unknown_session_is_absent(rt) -> None:  # type: ignore[no-untyped-def]
    now = rt.clock.now()
    with rt.db.transaction() as s:
        sessions_repo.create_session(s, "old-cookie", "sid-2", now - 120, now, {"csrf": "t"})
    assert sessions_repo.find_session_row(rt.db, "old-cookie", now) is None  # expires_at == now
    assert sessions_repo.find_session_row(rt.db, "old-cookie", now - 1) is not None
    assert sessions_repo.find_session_row(rt.db, "never-issued", now) is None
