"""The authentication as a domain operation (idp/accounts/authentication.py), without HTTP:
each outcome of a login, of the authenticator code after it and of a password typed again on
an account page, with a real database and argon2id. The pages' translation of each outcome is
tested over HTTP (test_login_rules.py, test_second_factor.py,
test_password_checks_throttled.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pyotp
import pytest

from idp.accounts import second_factor, throttling
from idp.accounts.authentication import (
    PASSWORD_AMR,
    TWO_FACTOR_AMR,
    Authenticated,
    Authentication,
    PasswordExpired,
    SecondFactorRequired,
)
from idp.accounts.errors import (
    AuthenticationRefused,
    BadCredentials,
    ExpiredPasswordNeedsAssistance,
    Locked,
    MissingCode,
    MissingCredentials,
    WrongCode,
)
from idp.accounts.passwords import Passwords
from idp.accounts.throttling import ThrottleRules
from idp.clock import FrozenClock
from idp.runtime import Runtime
from idp.settings import Settings
from idp.storage.models import Account
from idp.storage.repositories import accounts as accounts_repo
from tests.factories import PASSWORD, Factories

IP = "192.0.2.10"
LIMIT = 3


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(login_max_failures=LIMIT, address_max_failures=8,
                            login_lock_seconds=600, login_max_delay=3.0)


def authentication(rt: Runtime, passwords: Passwords | None = None,
                   expired_password_action: str = "change") -> Authentication:
    """Built from the runtime's pieces as the hub builds it (idp/app.py Hub)."""
    return Authentication(
        rt.db, rt.clock, passwords or rt.passwords, rt.policies,
        ThrottleRules.from_settings(rt.settings, rt.keys), rt.audit, rt.settings.agent_domains,
        expired_password_action, functools.partial(second_factor.verify, rt.db, rt.clock, rt.keys))


@pytest.fixture
def auth(rt: Runtime) -> Authentication:
    return authentication(rt)


def account(rt: Runtime, username: str) -> Account:
    with rt.db.read() as s:
        found = accounts_repo.find_by_login(s, username)
    assert found is not None
    return found


def refusal(step: Callable[..., object], *args: object) -> AuthenticationRefused:
    """What `step(*args)` raised."""
    with pytest.raises(AuthenticationRefused) as raised:
        step(*args)
    return raised.value


# -- The login form ---------------------------------------------------------------------------

def test_the_right_password_authenticates_with_the_password_method(
        auth: Authentication, factories: Factories) -> None:
    made = factories.account("alice")
    outcome = auth.log_in("alice", PASSWORD, IP)
    assert isinstance(outcome, Authenticated)
    assert outcome.account.subject == made["subject"] and outcome.amr == PASSWORD_AMR


def test_any_login_name_in_any_case_designates_the_account(
        auth: Authentication, factories: Factories) -> None:
    factories.account("alice", email="alice@example.test")
    assert isinstance(auth.log_in("ALICE@Example.test", PASSWORD, IP), Authenticated)


def test_an_empty_name_or_password_is_missing_not_a_guess(
        auth: Authentication, factories: Factories) -> None:
    factories.account("alice")
    for _ in range(LIMIT + 1):
        assert type(refusal(auth.log_in, "alice", "", IP)) is MissingCredentials
        assert type(refusal(auth.log_in, "", PASSWORD, IP)) is MissingCredentials
    assert isinstance(auth.log_in("alice", PASSWORD, IP), Authenticated)  # nothing counted


def test_a_wrong_password_an_unknown_name_and_a_disabled_account_get_one_answer(
        rt: Runtime, auth: Authentication, factories: Factories) -> None:
    factories.account("alice")
    factories.account("bob")
    bob_id = account(rt, "bob").id
    with rt.db.transaction() as s:
        bob = s.get(Account, bob_id)
        assert bob is not None
        bob.disabled = True
    answers = [refusal(auth.log_in, "alice", "wrong", IP),
               refusal(auth.log_in, "nobody", PASSWORD, "192.0.2.11"),
               refusal(auth.log_in, "bob", PASSWORD, "192.0.2.12")]
    assert [type(a) for a in answers] == [BadCredentials] * 3
    assert [a.delay for a in answers] == [0.0] * 3  # a first failure is not slowed


def test_failures_slow_down_then_lock_the_account_whatever_the_address(
        auth: Authentication, factories: Factories, clock: FrozenClock) -> None:
    factories.account("alice")
    wrong = [refusal(auth.log_in, "alice", "wrong", f"192.0.2.{n}")
             for n in range(LIMIT)]
    assert [type(r) for r in wrong] == [BadCredentials] * (LIMIT - 1) + [Locked]
    assert [r.delay for r in wrong] == [throttling.delay_for(n, 3.0) for n in range(1, LIMIT + 1)]
    assert isinstance(wrong[-1], Locked) and wrong[-1].minutes == 10
    # Even the right password, from a new address, is refused while the lock holds.
    clock.advance(61)
    locked = refusal(auth.log_in, "alice", PASSWORD, "192.0.2.99")
    assert isinstance(locked, Locked) and locked.minutes == 9 and locked.delay == 0.0
    clock.advance(540)
    assert isinstance(auth.log_in("alice", PASSWORD, "192.0.2.99"), Authenticated)


def test_an_unknown_name_is_counted_and_locked_like_a_known_one(auth: Authentication) -> None:
    answers = [refusal(auth.log_in, "nobody", "wrong", f"192.0.2.{n}")
               for n in range(LIMIT + 1)]
    assert [type(a) for a in answers] == [BadCredentials] * (LIMIT - 1) + [Locked] * 2


def test_a_success_clears_the_count(auth: Authentication, factories: Factories) -> None:
    factories.account("alice")
    for _ in range(LIMIT - 1):
        refusal(auth.log_in, "alice", "wrong", IP)
    auth.log_in("alice", PASSWORD, IP)
    for _ in range(LIMIT - 1):
        assert type(refusal(auth.log_in, "alice", "wrong", IP)) is BadCredentials


def test_a_hash_made_with_old_parameters_is_upgraded_at_login(
        rt: Runtime, factories: Factories) -> None:
    factories.account("alice")
    old_hash = account(rt, "alice").password_hash
    stronger = Passwords(rt.settings.replace(argon2_time_cost=2))
    assert stronger.needs_rehash(old_hash)
    assert isinstance(authentication(rt, stronger).log_in("alice", PASSWORD, IP), Authenticated)
    new_hash = account(rt, "alice").password_hash
    assert new_hash != old_hash and not stronger.needs_rehash(new_hash)
    assert stronger.verify(new_hash, PASSWORD)


def test_an_expired_password_must_be_replaced_before_the_login_completes(
        auth: Authentication, factories: Factories, clock: FrozenClock) -> None:
    factories.account("alice")  # portal accounts: 365 days
    clock.advance(366 * 86400)
    outcome = auth.log_in("alice", PASSWORD, IP)
    assert isinstance(outcome, PasswordExpired) and outcome.amr == PASSWORD_AMR


def test_an_expired_password_goes_to_the_assistance_desk_when_the_operator_says_so(
        rt: Runtime, factories: Factories, clock: FrozenClock) -> None:
    factories.account("alice")
    clock.advance(366 * 86400)
    assistance = authentication(rt, expired_password_action="assistance")
    assert type(refusal(assistance.log_in, "alice", PASSWORD, IP)) is (
        ExpiredPasswordNeedsAssistance)


# -- The authenticator code -------------------------------------------------------------------

def test_an_account_with_an_authenticator_needs_its_code_after_the_password(
        rt: Runtime, auth: Authentication, factories: Factories, clock: FrozenClock) -> None:
    made = factories.account("alice")
    secret, _ = factories.authenticator(made)
    outcome = auth.log_in("alice", PASSWORD, IP)
    assert isinstance(outcome, SecondFactorRequired) and outcome.account.subject == made["subject"]
    clock.advance(30)  # the enrolment spent the code of its step
    done = auth.confirm_code(outcome.account, pyotp.TOTP(secret).at(clock.now()), IP)
    assert isinstance(done, Authenticated) and done.amr == TWO_FACTOR_AMR


def test_a_wrong_or_missing_code_is_counted_with_the_passwords(
        rt: Runtime, auth: Authentication, factories: Factories) -> None:
    made = factories.account("alice")
    factories.authenticator(made)
    alice = account(rt, "alice")
    # The right password does not clear the count: the code is still awaited.
    assert isinstance(auth.log_in("alice", PASSWORD, IP), SecondFactorRequired)
    answers = [refusal(auth.confirm_code, alice, "000000", IP),
               refusal(auth.confirm_code, alice, "", IP),
               refusal(auth.confirm_code, alice, "000000", IP)]
    assert [type(a) for a in answers] == [WrongCode, MissingCode, Locked]
    assert type(refusal(auth.log_in, "alice", PASSWORD, IP)) is Locked


def test_a_recovery_code_is_a_second_factor_once(
        rt: Runtime, auth: Authentication, factories: Factories) -> None:
    made = factories.account("alice")
    _, codes = factories.authenticator(made)
    alice = account(rt, "alice")
    assert isinstance(auth.confirm_code(alice, codes[0], IP), Authenticated)
    assert type(refusal(auth.confirm_code, alice, codes[0], IP)) is WrongCode


def test_an_expired_password_is_decided_after_the_code(
        rt: Runtime, auth: Authentication, factories: Factories, clock: FrozenClock) -> None:
    made = factories.account("alice")
    secret, _ = factories.authenticator(made)
    clock.advance(366 * 86400)
    assert isinstance(auth.log_in("alice", PASSWORD, IP), SecondFactorRequired)
    outcome = auth.confirm_code(account(rt, "alice"), pyotp.TOTP(secret).at(clock.now()), IP)
    assert isinstance(outcome, PasswordExpired) and outcome.amr == TWO_FACTOR_AMR


# -- A password or code typed again on an account page ----------------------------------------

def test_the_right_password_typed_again_is_accepted(
        rt: Runtime, auth: Authentication, factories: Factories) -> None:
    factories.account("alice")
    auth.reauthenticate(account(rt, "alice"), PASSWORD, IP)  # returns: accepted


def test_a_password_typed_again_counts_in_the_login_throttle(
        rt: Runtime, auth: Authentication, factories: Factories) -> None:
    factories.account("alice")
    alice = account(rt, "alice")
    assert type(refusal(auth.reauthenticate, alice, "", IP)) is MissingCredentials
    answers = [refusal(auth.reauthenticate, alice, "wrong", IP) for _ in range(LIMIT)]
    assert [type(a) for a in answers] == [BadCredentials] * (LIMIT - 1) + [Locked]
    # Locked at login too, and the right password typed again is refused.
    assert type(refusal(auth.log_in, "alice", PASSWORD, IP)) is Locked
    assert type(refusal(auth.reauthenticate, alice, PASSWORD, IP)) is Locked


def test_a_right_password_typed_again_does_not_clear_the_count(
        rt: Runtime, auth: Authentication, factories: Factories) -> None:
    factories.account("alice")
    alice = account(rt, "alice")
    for _ in range(LIMIT - 1):
        refusal(auth.reauthenticate, alice, "wrong", IP)
    auth.reauthenticate(alice, PASSWORD, IP)
    assert type(refusal(auth.reauthenticate, alice, "wrong", IP)) is Locked


def test_a_wrong_code_typed_to_remove_the_authenticator_is_counted(
        rt: Runtime, auth: Authentication, factories: Factories, clock: FrozenClock) -> None:
    made = factories.account("alice")
    secret, _ = factories.authenticator(made)
    alice = account(rt, "alice")
    answers = [refusal(auth.reconfirm_code, alice, "000000", IP),
               refusal(auth.reconfirm_code, alice, "", IP)]
    assert [type(a) for a in answers] == [WrongCode, MissingCode]
    clock.advance(30)
    auth.reconfirm_code(alice, pyotp.TOTP(secret).at(clock.now()), IP)  # returns: accepted
    assert type(refusal(auth.reconfirm_code, alice, "000000", IP)) is Locked
