"""The account read by plain SQL (issue 16: no ORM, no transaction on the login's hot path)
is the account the ORM reads, column for column, on both backends: hostile and non-ASCII
text, JSON, booleans, NULLs; with the session that holds it, with an access token's grant,
by a login name; and it is detached, so nothing changed in it is saved by accident."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from idp.accounts import throttling
from idp.storage.models import Account, Grant
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import consents as consents_repo
from idp.storage.repositories import sessions as sessions_repo
from idp.storage.repositories import throttle as throttle_repo
from idp.storage.repositories import tokens as tokens_repo

HOSTILE = "Zoé d'Arc \"x\" \\N \t% ? 名前 \u202e ;--"


def columns(account: Account | None) -> dict[str, Any]:
    assert account is not None
    return {c.key: getattr(account, c.key) for c in Account.__table__.columns}


def orm_account(rt, account_id: int) -> Account:  # type: ignore[no-untyped-def]
    with rt.db.read() as s:
        account = accounts_repo.get_account(s, account_id)
        assert account is not None
        return account


@pytest.fixture
def account_id(rt, factories) -> int:  # type: ignore[no-untyped-def]
    made = factories.account("plain-reads", family_name="Lefèvre",
                             email="zoe.plain@example.test")
    with rt.db.transaction() as s:
        account = accounts_repo.find_by_login(s, made["username"])
        s.execute(update(Account).where(Account.id == account.id).values(
            given_name=HOSTILE, groups=["agents", HOSTILE], email_verified=True,
            new_device_alerts=False, street_address=HOSTILE, birthdate="1980-02-29",
            pending_until=None, last_login_at=1_795_000_000))
        return account.id


def test_every_plain_read_gives_the_orm_account(rt, account_id) -> None:  # type: ignore[no-untyped-def]
    expected = columns(orm_account(rt, account_id))
    assert expected["groups"] == ["agents", HOSTILE] and expected["email_verified"] is True
    assert columns(accounts_repo.fetch_account(rt.db, account_id)) == expected
    with rt.db.read() as s:
        assert columns(accounts_repo.read_account(s, account_id)) == expected
    found, enrolled = accounts_repo.login_account(rt.db, "PLAIN-reads")
    assert columns(found) == expected and enrolled is False
    # The types too, not only equal values (SQLite gives booleans as 0/1, JSON as text).
    plain = accounts_repo.fetch_account(rt.db, account_id)
    assert type(plain.email_verified) is bool and type(plain.disabled) is bool
    assert isinstance(plain.groups, list)


def test_absent_accounts_and_hostile_names(rt, account_id) -> None:  # type: ignore[no-untyped-def]
    assert accounts_repo.fetch_account(rt.db, account_id + 1000) is None
    with rt.db.read() as s:
        assert accounts_repo.read_account(s, account_id + 1000) is None
    for typed in ("nobody", "plain-reads\x00", "\ud800", "' OR 1=1 --", "x" * 5000, "名前"):
        assert accounts_repo.login_account(rt.db, typed) == (None, False)


def test_the_second_factor_is_seen(rt, factories) -> None:  # type: ignore[no-untyped-def]
    made = factories.account("plain-two-factors")
    factories.authenticator(made)
    found, enrolled = accounts_repo.login_account(rt.db, made["email"])
    assert found is not None and found.username == "plain-two-factors" and enrolled is True


def test_the_session_brings_its_account(rt, account_id) -> None:  # type: ignore[no-untyped-def]
    now = rt.clock.now()
    with rt.db.transaction() as s:
        sessions_repo.create_session(s, "logged-in", "sid-9", now, now + 60, {"csrf": "t"},
                                     account_id=account_id, acr="eidas1", amr=("pwd",))
    row = sessions_repo.find_session_row(rt.db, "logged-in", now)
    assert row is not None and row.account_id == account_id
    assert columns(row.account) == columns(orm_account(rt, account_id))


def test_the_grant_brings_its_account(rt, factories, account_id) -> None:  # type: ignore[no-untyped-def]
    client = factories.client()
    now = rt.clock.now()
    with rt.db.transaction() as s:
        tokens_repo.create_grant(s, Grant(
            id="g" * 32, client_id=client.client_id, account_id=account_id, scope="openid",
            claims={"userinfo": {"given_name": {"essential": True}}}, sid=None, auth_time=now,
            acr="eidas2", amr=["pwd", "otp"], created_at=now, expires_at=now + 60,
            revoked_at=None))
        tokens_repo.create_grant(s, Grant(
            id="h" * 32, client_id=client.client_id, account_id=account_id, scope="openid",
            claims=None, sid=None, auth_time=now, acr=None, amr=[], created_at=now,
            expires_at=now + 60, revoked_at=None))
    holder = tokens_repo.grant_holder(rt.db, "g" * 32)
    assert holder is not None
    assert (holder.client_id, holder.claims, holder.acr) == (
        client.client_id, {"userinfo": {"given_name": {"essential": True}}}, "eidas2")
    assert columns(holder.account) == columns(orm_account(rt, account_id))
    other = tokens_repo.grant_holder(rt.db, "h" * 32)
    assert other is not None and other.claims is None and other.acr is None
    assert tokens_repo.grant_holder(rt.db, "unknown") is None


def test_a_plain_account_is_never_saved_by_accident(rt, account_id) -> None:  # type: ignore[no-untyped-def]
    with rt.db.transaction() as s:
        plain = accounts_repo.read_account(s, account_id)
        assert plain is not None
        plain.given_name = "Changed"  # the ORM's get_account here would save it at commit
    fetched = accounts_repo.fetch_account(rt.db, account_id)
    assert fetched is not None
    fetched.family_name = "Changed"
    with rt.db.transaction() as s:
        accounts_repo.read_account(s, account_id)
    after = orm_account(rt, account_id)
    assert (after.given_name, after.family_name) == (HOSTILE, "Lefèvre")


def test_the_locks_read_in_one_row(rt) -> None:  # type: ignore[no-untyped-def]
    rules, now = throttling.ThrottleRules.from_settings(rt.settings, rt.keys), rt.clock.now()
    state = throttling.lock_state(rt.db, rules, "someone", "192.0.2.1", now)
    assert (state.until, state.counted) == (None, False)
    for _ in range(max(rules.account_limit, rules.address_limit)):
        throttling.record_failure(rt.db, rules, "someone", "192.0.2.1", now)
    state = throttling.lock_state(rt.db, rules, "someone", "192.0.2.9", now)
    assert state.until == now + rules.lock_for and state.counted is True
    # The address alone: its lock counts, the account's counter does not exist.
    assert throttle_repo.locks(rt.db, "account:none", throttling.address_key("192.0.2.1"),
                               now) == (now + rules.lock_for, False)
    # A lock that has ended is no lock; the counter is still there.
    state = throttling.lock_state(rt.db, rules, "someone", "192.0.2.9", now + rules.lock_for)
    assert (state.until, state.counted) == (None, True)


def test_the_remembered_disclosure_read_plainly(rt, factories, account_id) -> None:  # type: ignore[no-untyped-def]
    client = factories.client()
    assert consents_repo.remembered_disclosure(rt.db, account_id, client.client_id) is None
    with rt.db.transaction() as s:
        consents_repo.remember_consent(s, account_id, client.client_id, {"openid", "email"},
                                       rt.clock.now(), claims={"given_name", "birthdate"},
                                       mode="information")
    remembered = consents_repo.remembered_disclosure(rt.db, account_id, client.client_id)
    assert remembered == consents_repo.RememberedDisclosure(
        frozenset({"openid", "email"}), frozenset({"given_name", "birthdate"}), "information")
    assert consents_repo.remembered_disclosure(rt.db, account_id, client.client_id + "'") is None
