"""The single-use links sent by e-mail and the blocked addresses (idp/accounts/email_links.py,
idp/accounts/blocked_addresses.py): used once, not after expiry, not for another purpose, only
their hash stored; a newer link ends the older; addresses stored only as keyed hashes."""

from __future__ import annotations

import threading

from sqlalchemy import select

from idp.accounts import blocked_addresses, email_links
from idp.housekeeping import purge_expired
from idp.runtime import Runtime
from idp.storage.models import Account, BlockedAddress, EmailLink
from tests.factories import Factories

HOUR = 3600


def _new_account(rt: Runtime, factories: Factories) -> int:
    username = factories.account()["username"]
    with rt.db.read() as s:
        return int(s.scalars(select(Account.id).where(Account.username == username)).one())


def _issue(rt: Runtime, account_id: int, purpose: str = email_links.REGISTRATION,
           ttl: int = HOUR) -> str:
    with rt.db.transaction() as s:
        return email_links.issue(s, purpose, account_id, "camille@example.org",
                                 rt.clock.now(), ttl, {"rid": "r1"})


def test_a_link_is_used_once_and_only_its_hash_is_stored(rt: Runtime,
                                                         factories: Factories) -> None:
    account_id = _new_account(rt, factories)
    token = _issue(rt, account_id)
    with rt.db.read() as s:
        stored = s.scalars(select(EmailLink)).one()
        assert token not in stored.token_hash and len(stored.token_hash) == 64
        assert email_links.peek(s, email_links.REGISTRATION, token, rt.clock.now()) is not None
    with rt.db.transaction() as s:
        link = email_links.use(s, email_links.REGISTRATION, token, rt.clock.now())
        assert link is not None and link.account_id == account_id and link.data == {"rid": "r1"}
    with rt.db.transaction() as s:
        assert email_links.use(s, email_links.REGISTRATION, token, rt.clock.now()) is None
        assert email_links.peek(s, email_links.REGISTRATION, token, rt.clock.now()) is None


def test_expired_other_purpose_and_garbage_are_refused(rt: Runtime, clock,  # type: ignore[no-untyped-def]
                                                       factories: Factories) -> None:
    account_id = _new_account(rt, factories)
    token = _issue(rt, account_id)
    with rt.db.transaction() as s:
        assert email_links.use(s, email_links.PASSWORD_RESET, token, rt.clock.now()) is None
        for garbage in ("", "x", "a" * 5000, token + "\x00", "é" * 43, token[:-1] + "!"):
            assert email_links.use(s, email_links.REGISTRATION, garbage, rt.clock.now()) is None
    clock.advance(HOUR)
    with rt.db.transaction() as s:
        assert email_links.use(s, email_links.REGISTRATION, token, rt.clock.now()) is None
    purge_expired(rt.db, rt.clock.now())
    with rt.db.read() as s:
        assert s.scalars(select(EmailLink)).all() == []


def test_a_new_link_ends_the_older_one(rt: Runtime, factories: Factories) -> None:
    account_id = _new_account(rt, factories)
    first = _issue(rt, account_id)
    second = _issue(rt, account_id)
    with rt.db.transaction() as s:
        assert email_links.use(s, email_links.REGISTRATION, first, rt.clock.now()) is None
        assert email_links.use(s, email_links.REGISTRATION, second, rt.clock.now()) is not None


def test_concurrent_uses_let_one_win(rt: Runtime, factories: Factories) -> None:
    account_id = _new_account(rt, factories)
    token = _issue(rt, account_id)
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def use() -> None:
        barrier.wait()
        try:
            with rt.db.transaction() as s:
                link = email_links.use(s, email_links.REGISTRATION, token, rt.clock.now())
                results.append(link is not None)
        except Exception:  # a lock timeout is a refusal too
            results.append(False)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1


def test_blocked_addresses_are_keyed_hashes_until_their_date(rt: Runtime, clock) -> None:  # type: ignore[no-untyped-def]
    now = rt.clock.now()
    with rt.db.transaction() as s:
        blocked_addresses.block(s, rt.keys, "Camille.Boucher@Example.org ", now + 365 * 86400)
    with rt.db.read() as s:
        row = s.scalars(select(BlockedAddress)).one()
        assert "camille" not in row.address_hash.lower() and len(row.address_hash) == 64
        assert blocked_addresses.is_blocked(s, rt.keys, "camille.boucher@example.org", now)
        assert not blocked_addresses.is_blocked(s, rt.keys, "other@example.org", now)
    clock.advance(365 * 86400)
    with rt.db.read() as s:
        assert not blocked_addresses.is_blocked(s, rt.keys, "camille.boucher@example.org",
                                                rt.clock.now())
    purge_expired(rt.db, rt.clock.now())
    with rt.db.read() as s:
        assert s.scalars(select(BlockedAddress)).all() == []
