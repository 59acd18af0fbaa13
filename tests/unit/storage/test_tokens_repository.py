"""Grants, codes and tokens in the database (real SQLite or PostgreSQL): single use, replay
detection revoking the family (RFC 6749 §4.1.2, RFC 9700 §4.14.2), revocation lookups."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from idp.clock import FrozenClock
from idp.runtime import Runtime
from idp.storage.models import Grant
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import tokens as tokens_repo
from tests.factories import Factories

CODE_TTL = 60
REFRESH_TTL = 86400


@dataclass
class Family:
    """A grant of `client1` to an account, with one code and one refresh token."""

    grant_id: str
    code: str
    refresh_token: str


@pytest.fixture
def family(rt: Runtime, factories: Factories, clock: FrozenClock) -> Family:
    factories.client("client1")
    factories.client("client2")
    factories.account("cbernard")
    return new_family(rt, clock)


def new_family(rt: Runtime, clock: FrozenClock, client_id: str = "client1") -> Family:
    now = clock.now()
    family = Family(secrets.token_hex(16), secrets.token_urlsafe(32), secrets.token_urlsafe(32))
    with rt.db.transaction() as s:
        account = accounts_repo.find_by_login(s, "cbernard")
        assert account is not None
        tokens_repo.create_grant(s, Grant(
            id=family.grant_id, client_id=client_id, account_id=account.id, scope="openid",
            claims=None, sid="sid-1", auth_time=now, acr="eidas1", amr=["pwd"],
            created_at=now, expires_at=now + REFRESH_TTL))
        tokens_repo.save_code(s, family.code, grant_id=family.grant_id, client_id=client_id,
                              redirect_uri="http://127.0.0.1:9000/callback",
                              code_challenge="c" * 43, nonce=None, expires_at=now + CODE_TTL)
        tokens_repo.save_refresh_token(s, family.refresh_token, grant_id=family.grant_id,
                                       client_id=client_id, scope="openid", issued_at=now,
                                       expires_at=now + REFRESH_TTL)
    return family


def consume(rt: Runtime, code: str, client_id: str, now: int) -> tokens_repo.CodeRedemption:
    with rt.db.transaction() as s:
        return tokens_repo.consume_code(s, code, client_id, now)


def rotate(rt: Runtime, token: str, client_id: str, now: int) -> tokens_repo.RefreshRedemption:
    with rt.db.transaction() as s:
        return tokens_repo.rotate_refresh_token(s, token, client_id, now)


def grant_revoked_at(rt: Runtime, grant_id: str) -> int | None:
    with rt.db.read() as s:
        grant = tokens_repo.get_grant(s, grant_id)
        assert grant is not None
        return grant.revoked_at


# Authorization codes ----------------------------------------------------------------------------


def test_a_code_is_consumed_once(rt: Runtime, family: Family, clock: FrozenClock) -> None:
    redemption = consume(rt, family.code, "client1", clock.now())
    assert redemption.code is not None and redemption.replayed_grant_id is None
    assert redemption.code.grant_id == family.grant_id
    assert redemption.code.consumed_at == clock.now()


def test_a_consumed_code_gives_what_it_was_issued_with(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    redemption = consume(rt, family.code, "client1", clock.now())
    assert redemption.code == tokens_repo.ConsumedCode(
        family.grant_id, "http://127.0.0.1:9000/callback", "c" * 43, None, clock.now())


@pytest.mark.parametrize("claims", [None, {"userinfo": {"email": {"essential": True}}}])
def test_a_grant_read_plainly_equals_the_orm_s(
    rt: Runtime, factories: Factories, clock: FrozenClock, claims: dict[str, object] | None,
) -> None:
    factories.client("client1")
    factories.account("mlefevre")
    now = clock.now()
    with rt.db.transaction() as s:
        account = accounts_repo.find_by_login(s, "mlefevre")
        assert account is not None
        tokens_repo.create_grant(s, Grant(
            id="g" * 32, client_id="client1", account_id=account.id, scope="openid email",
            claims=claims, sid=None, auth_time=now - 5, acr=None, amr=["pwd", "otp"],
            created_at=now, expires_at=now + REFRESH_TTL, revoked_at=now + 1))
    with rt.db.read() as s:
        orm = tokens_repo.get_grant(s, "g" * 32)
        plain = tokens_repo.read_grant(s, "g" * 32)
        assert tokens_repo.read_grant(s, "h" * 32) is None
    assert orm is not None and plain is not None
    assert plain == tokens_repo.GrantRow(
        orm.id, orm.account_id, orm.scope, orm.claims, orm.sid, orm.auth_time, orm.acr,
        orm.amr, orm.expires_at, orm.revoked_at)
    assert plain.claims == claims and plain.amr == ["pwd", "otp"]


def test_a_consumed_code_presented_again_reports_its_grant(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    consume(rt, family.code, "client1", clock.now())
    clock.advance(1)
    replay = consume(rt, family.code, "client1", clock.now())
    assert replay.code is None and replay.replayed_grant_id == family.grant_id


def test_a_code_of_another_client_is_unknown_and_left_untouched(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    stolen = consume(rt, family.code, "client2", clock.now())
    assert stolen == tokens_repo.CodeRedemption(None)
    assert consume(rt, family.code, "client1", clock.now()).code is not None


def test_a_consumed_code_presented_by_another_client_reveals_nothing(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    consume(rt, family.code, "client1", clock.now())
    assert consume(rt, family.code, "client2", clock.now()) == tokens_repo.CodeRedemption(None)


def test_an_unknown_code_is_unknown(rt: Runtime, family: Family, clock: FrozenClock) -> None:
    assert consume(rt, "no-such-code", "client1", clock.now()) == tokens_repo.CodeRedemption(None)


def test_a_code_is_accepted_until_its_expiry(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    clock.advance(CODE_TTL - 1)
    assert consume(rt, family.code, "client1", clock.now()).code is not None


def test_an_expired_code_is_refused_and_not_taken_for_a_replay(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    clock.advance(CODE_TTL)
    assert consume(rt, family.code, "client1", clock.now()) == tokens_repo.CodeRedemption(None)
    assert grant_revoked_at(rt, family.grant_id) is None


# Refresh tokens ---------------------------------------------------------------------------------


def test_a_refresh_token_is_rotated_once(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    redemption = rotate(rt, family.refresh_token, "client1", clock.now())
    assert redemption.token is not None and not redemption.replayed
    assert redemption.grant is not None and redemption.grant.id == family.grant_id


def test_a_rotated_refresh_token_used_again_is_a_replay_that_revokes_the_grant(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    rotate(rt, family.refresh_token, "client1", clock.now())
    clock.advance(5)
    replay = rotate(rt, family.refresh_token, "client1", clock.now())
    assert replay.token is None and replay.replayed
    assert grant_revoked_at(rt, family.grant_id) == clock.now()


def test_no_refresh_token_of_a_revoked_grant_is_accepted(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    with rt.db.transaction() as s:
        tokens_repo.revoke_grant(s, family.grant_id, clock.now())
    redemption = rotate(rt, family.refresh_token, "client1", clock.now())
    assert redemption.token is None and not redemption.replayed


def test_a_refresh_token_of_another_client_is_unknown_and_revokes_nothing(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    assert rotate(rt, family.refresh_token, "client2", clock.now()) == (
        tokens_repo.RefreshRedemption(None))
    assert grant_revoked_at(rt, family.grant_id) is None
    assert rotate(rt, family.refresh_token, "client1", clock.now()).token is not None


def test_an_expired_refresh_token_is_refused(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    clock.advance(REFRESH_TTL)
    assert rotate(rt, family.refresh_token, "client1", clock.now()).token is None


def test_revoking_one_grant_leaves_the_others(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    other = new_family(rt, clock)
    rotate(rt, family.refresh_token, "client1", clock.now())
    rotate(rt, family.refresh_token, "client1", clock.now())
    assert grant_revoked_at(rt, other.grant_id) is None
    assert rotate(rt, other.refresh_token, "client1", clock.now()).token is not None


# Access-token revocation ------------------------------------------------------------------------


def test_an_access_token_revoked_by_jti_is_revoked(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    with rt.db.transaction() as s:
        tokens_repo.revoke_access_token(s, "jti-1", clock.now() + 600, clock.now())
    assert tokens_repo.is_access_token_revoked(rt.db, "jti-1", family.grant_id)
    assert tokens_repo.is_access_token_revoked(rt.db, "jti-1", None)


def test_an_access_token_of_a_revoked_grant_is_revoked(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    with rt.db.transaction() as s:
        tokens_repo.revoke_grant(s, family.grant_id, clock.now())
    assert tokens_repo.is_access_token_revoked(rt.db, "jti-2", family.grant_id)


def test_an_access_token_neither_revoked_nor_of_a_revoked_grant_is_valid(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    with rt.db.transaction() as s:
        tokens_repo.revoke_access_token(s, "jti-other", clock.now() + 600, clock.now())
    assert not tokens_repo.is_access_token_revoked(rt.db, "jti-3", family.grant_id)
    assert not tokens_repo.is_access_token_revoked(rt.db, "jti-3", None)


def test_revoking_an_access_token_twice_is_harmless(
    rt: Runtime, family: Family, clock: FrozenClock,
) -> None:
    for _ in range(2):
        with rt.db.transaction() as s:
            tokens_repo.revoke_access_token(s, "jti-1", clock.now() + 600, clock.now())
    assert tokens_repo.is_access_token_revoked(rt.db, "jti-1", None)


# Client assertions ------------------------------------------------------------------------------


def remember(rt: Runtime, client_id: str, jti: str, expires_at: int) -> bool:
    with rt.db.transaction() as s:
        return tokens_repo.remember_assertion(s, client_id, jti, expires_at)


def test_an_assertion_jti_is_accepted_once(rt: Runtime, clock: FrozenClock) -> None:
    assert remember(rt, "client1", "jti-a", clock.now() + 60) is True
    assert remember(rt, "client1", "jti-a", clock.now() + 60) is False


def test_the_same_assertion_jti_of_another_client_is_not_a_replay(
    rt: Runtime, clock: FrozenClock,
) -> None:
    assert remember(rt, "client1", "jti-a", clock.now() + 60)
    assert remember(rt, "client2", "jti-a", clock.now() + 60)


def test_a_replayed_assertion_does_not_undo_the_rest_of_the_transaction(
    rt: Runtime, clock: FrozenClock,
) -> None:
    remember(rt, "client1", "jti-a", clock.now() + 60)
    with rt.db.transaction() as s:
        assert not tokens_repo.remember_assertion(s, "client1", "jti-a", clock.now() + 60)
        assert tokens_repo.remember_assertion(s, "client1", "jti-b", clock.now() + 60)
    assert remember(rt, "client1", "jti-b", clock.now() + 60) is False
