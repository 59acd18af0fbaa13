"""Password hashing with argon2id (RFC 9106)."""

from __future__ import annotations

import pytest

from idp.accounts.passwords import Passwords
from idp.settings import Settings

PASSWORD = "Motdepasse-2026!"


@pytest.fixture(scope="module")
def passwords() -> Passwords:
    return Passwords(Settings.from_env({}, argon2_memory_kib=1024, argon2_time_cost=1))


@pytest.fixture(scope="module")
def hashed(passwords: Passwords) -> str:
    return passwords.hash(PASSWORD)


def test_hashes_are_argon2id_with_the_configured_parameters(hashed: str) -> None:
    assert hashed.startswith("$argon2id$v=19$m=1024,t=1,p=1$")


def test_the_same_password_hashes_differently_each_time(passwords: Passwords,
                                                         hashed: str) -> None:
    assert passwords.hash(PASSWORD) != hashed  # a random salt per hash


def test_the_right_password_verifies(passwords: Passwords, hashed: str) -> None:
    assert passwords.verify(hashed, PASSWORD) is True


@pytest.mark.parametrize("attempt", ["motdepasse-2026!", PASSWORD + " ", "", PASSWORD[:-1]])
def test_a_wrong_password_does_not_verify(passwords: Passwords, hashed: str,
                                          attempt: str) -> None:
    assert passwords.verify(hashed, attempt) is False


def test_an_account_without_a_hash_never_verifies(passwords: Passwords) -> None:
    assert passwords.verify(None, PASSWORD) is False
    assert passwords.verify("", PASSWORD) is False


def test_the_decoy_password_does_not_open_an_account_without_a_hash(
    passwords: Passwords,
) -> None:
    assert passwords.verify(None, "decoy password, never matches") is False


@pytest.mark.parametrize("bad_hash", ["not a hash", "$argon2id$v=19$m=1024,t=1,p=1$x$y",
                                      "$2b$12$" + "a" * 53])
def test_an_unreadable_hash_does_not_verify(passwords: Passwords, bad_hash: str) -> None:
    assert passwords.verify(bad_hash, PASSWORD) is False


def test_a_hash_made_with_other_parameters_needs_rehashing() -> None:
    weak = Passwords(Settings.from_env({}, argon2_memory_kib=1024, argon2_time_cost=1))
    strong = Passwords(Settings.from_env({}, argon2_memory_kib=2048, argon2_time_cost=2))
    assert strong.needs_rehash(weak.hash("x")) and not weak.needs_rehash(weak.hash("x"))


def test_hashes_run_in_the_configured_number_of_threads_of_their_own() -> None:
    """Issue 16: glibc keeps a freed argon2 buffer in the malloc arena of the thread that
    hashed, so hashes run in `argon2_threads` threads of their own, not in the callers'."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    def hashing_threads() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name.startswith("argon2")}

    before = hashing_threads()
    one = Passwords(Settings.from_env({}, argon2_memory_kib=1024, argon2_time_cost=1,
                                      argon2_threads=1))
    hashed = one.hash(PASSWORD)
    with ThreadPoolExecutor(8) as callers:
        assert all(callers.map(lambda _: one.verify(hashed, PASSWORD), range(16)))
    assert len(hashing_threads() - before) == 1


def test_argon2_threads_is_read_from_the_environment() -> None:
    assert Settings.from_env({"IDP_ARGON2_THREADS": "3"}).argon2_threads == 3
    assert Settings.from_env({}).argon2_threads == 0
