"""Who the citizen is after a login through an identity provider (FI): one person, one
account (FEDERATION.md, "`sub`"), on SQLite and PostgreSQL (IDP_TEST_DATABASE)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from idp.accounts.citizens import (
    AccountDisabled,
    IdentityChanged,
    citizen_for_federated_login,
)
from idp.federation.pivot import PivotIdentity, identity_hash, validate_pivot
from idp.runtime import Runtime
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import audit as audit_repo
from idp.storage.repositories import federation_links as links_repo
from tests.factories import Factories

CLAIMS: dict[str, Any] = {
    "given_name": "Angela Claire Louise", "family_name": "DUBOIS", "birthdate": "1962-08-24",
    "gender": "female", "birthplace": "75107", "birthcountry": "99100",
    "email": "famille.dubois@example.test", "preferred_username": "MARTIN",
}


def person(**changes: Any) -> PivotIdentity:
    return validate_pivot({**CLAIMS, **changes})


def login(rt: Runtime, provider: str, sub: str, who: PivotIdentity | None = None) -> int:
    return citizen_for_federated_login(rt.db, rt.clock, provider, sub, who or person())


def links(rt: Runtime, account_id: int) -> list[tuple[str, str, int, int]]:
    with rt.db.read() as s:
        return [(link.provider_id, link.provider_sub, link.first_used_at, link.last_used_at)
                for link in links_repo.links_of_account(s, account_id)]


def account(rt: Runtime, account_id: int) -> Any:
    with rt.db.read() as s:
        return accounts_repo.get_account(s, account_id)


def count_accounts(rt: Runtime) -> int:
    with rt.db.read() as s:
        return len(accounts_repo.list_accounts(s))


def test_a_first_login_creates_a_citizen_account_and_its_link(rt: Runtime) -> None:
    now = rt.clock.now()
    account_id = login(rt, "impots", "fi-sub-1")
    a = account(rt, account_id)
    assert a.population == "citizen" and not a.disabled
    assert (a.given_name, a.family_name, a.usage_name) == ("Angela Claire Louise", "DUBOIS",
                                                           "MARTIN")
    assert (a.birthdate, a.gender, a.birthplace, a.birthcountry) == (
        "1962-08-24", "female", "75107", "99100")
    assert a.identity_hash == identity_hash(person())
    assert (a.email, a.email_verified) == ("famille.dubois@example.test", True)  # FI-verified
    assert links(rt, account_id) == [("impots", "fi-sub-1", now, now)]


def test_a_citizen_account_has_a_generated_username_and_no_usable_password(
        rt: Runtime) -> None:
    a, b = account(rt, login(rt, "impots", "s1")), account(rt, login(rt, "impots", "s2",
                                                                       person(gender="male")))
    assert a.username.startswith("fc-") and len(a.username) == 23
    assert a.username != b.username and a.subject != b.subject
    assert not accounts_repo.logs_in_with_password(a.password_hash)
    assert not rt.passwords.verify(a.password_hash, a.password_hash[1:])
    assert not rt.passwords.verify(a.password_hash, "")


def test_a_family_sharing_one_address_gets_one_account_each(rt: Runtime) -> None:
    # FEDERATION.md: several people may share one e-mail; it is no login name of theirs.
    mother = login(rt, "impots", "mother")
    son = login(rt, "impots", "son", person(given_name="Paul", gender="male",
                                            birthdate="1990-01-01"))
    assert mother != son
    with rt.db.read() as s:
        assert accounts_repo.find_by_login(s, CLAIMS["email"]) is None


def test_the_same_fi_subject_again_is_the_same_account_and_its_use_is_recorded(
        rt: Runtime, clock: Any) -> None:
    first_at = clock.now()
    account_id = login(rt, "impots", "fi-sub-1")
    clock.advance(3600)
    assert login(rt, "impots", "fi-sub-1", person(preferred_username=None)) == account_id
    assert links(rt, account_id) == [("impots", "fi-sub-1", first_at, first_at + 3600)]
    assert account(rt, account_id).usage_name is None  # the usage name follows the FI
    assert count_accounts(rt) == 1


def test_the_same_person_through_a_second_fi_is_the_same_account_with_both_links(
        rt: Runtime, clock: Any) -> None:
    account_id = login(rt, "impots", "sub-at-impots")
    clock.advance(60)
    # The second FI writes the names another way: case and spaces do not make another person.
    other_form = person(given_name="angela  claire louise", family_name="Dubois")
    assert login(rt, "ameli", "sub-at-ameli", other_form) == account_id
    assert [link[:2] for link in links(rt, account_id)] == [("impots", "sub-at-impots"),
                                                            ("ameli", "sub-at-ameli")]
    assert count_accounts(rt) == 1


def test_another_person_is_another_account(rt: Runtime) -> None:
    assert login(rt, "impots", "a") != login(rt, "impots", "b", person(birthdate="1962-08-25"))


def test_an_fi_stating_another_identity_for_a_linked_subject_is_refused_and_recorded(
        rt: Runtime) -> None:
    account_id = login(rt, "impots", "fi-sub-1")
    with pytest.raises(IdentityChanged) as caught:
        login(rt, "impots", "fi-sub-1", person(family_name="DURAND", birthplace="2A004"))
    assert caught.value.fields == ("family_name", "birthplace")
    a = account(rt, account_id)
    assert (a.family_name, a.birthplace) == ("DUBOIS", "75107")  # nothing merged or changed
    with rt.db.read() as s:
        events = audit_repo.recent_events(s, event="federation.identity_changed")
    assert [(e.account_id, e.detail) for e in events] == [
        (account_id, {"provider": "impots", "fields": ["family_name", "birthplace"]})]
    assert "DURAND" not in str(events[0].detail)  # names of fields, not values
    assert count_accounts(rt) == 1


def test_a_disabled_account_is_refused_whichever_way_it_is_found(rt: Runtime) -> None:
    account_id = login(rt, "impots", "fi-sub-1")
    with rt.db.transaction() as s:
        accounts_repo.disable_account(s, account(rt, account_id).username)
    with pytest.raises(AccountDisabled):
        login(rt, "impots", "fi-sub-1")  # by its link
    with pytest.raises(AccountDisabled):
        login(rt, "ameli", "other-sub")  # by its identity
    assert len(links(rt, account_id)) == 1


def test_an_account_given_the_identity_by_an_operator_is_the_one_the_fi_logs_in(
        rt: Runtime, factories: Factories) -> None:
    from idp import admin

    made = factories.account("agent.dubois")
    admin.set_identity(rt.db, "agent.dubois", person())
    account_id = login(rt, "impots", "fi-sub-1")
    a = account(rt, account_id)
    assert a.username == made["username"]
    assert a.email == made["email"]  # an account with a password keeps its own address


def _race(rt: Runtime, calls: list[tuple[str, str]]) -> list[int | BaseException]:
    barrier = threading.Barrier(len(calls))
    results: list[int | BaseException] = [0] * len(calls)

    def run(i: int, provider: str, sub: str) -> None:
        barrier.wait()
        try:
            results[i] = login(rt, provider, sub)
        except BaseException as exc:  # reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, *c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.parametrize("calls", [
    [("impots", "same-sub"), ("impots", "same-sub")],       # one FI, a double submit
    [("impots", "sub-1"), ("ameli", "sub-2")],              # one person, two FIs at once
], ids=["same-fi", "two-fis"])
def test_concurrent_first_logins_of_one_person_make_one_account(
        rt: Runtime, calls: list[tuple[str, str]]) -> None:
    for _ in range(5):  # a few rounds, so the race is really run on PostgreSQL
        results = _race(rt, calls)
        assert all(isinstance(r, int) for r in results), results
        assert len(set(results)) == 1 and count_accounts(rt) == 1
        assert sorted(link[:2] for link in links(rt, int(results[0]))) == sorted(set(calls))
        with rt.db.transaction() as s:
            from sqlalchemy import delete  # test clean-up between rounds

            from idp.storage.models import Account
            s.execute(delete(Account))
