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


# libsodium computes, argon2-cffi reads the parameters (issue 16): one format both ways ------

def test_hashes_of_either_library_verify_with_the_other() -> None:
    """Hashes stored before the change (argon2-cffi's) still open their accounts, and a hash
    made now is a standard argon2id PHC string that argon2-cffi verifies: nothing to migrate,
    and no rehash at the next login."""
    from argon2 import PasswordHasher

    settings = Settings.from_env({}, argon2_memory_kib=1024, argon2_time_cost=2)
    passwords = Passwords(settings)
    cffi = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1)
    for password in (PASSWORD, "é ß 中文 🙂", "a\x00b", "'\"; --", "x" * 1024):
        old = cffi.hash(password)
        assert passwords.verify(old, password) is True
        assert passwords.verify(old, password + "!") is False
        assert not passwords.needs_rehash(old)
        new = passwords.hash(password)
        assert new.startswith("$argon2id$v=19$m=1024,t=2,p=1$")
        assert cffi.verify(new, password) is True
        assert not passwords.needs_rehash(new)


def test_more_than_one_lane_is_hashed_by_argon2_cffi_and_still_verifies() -> None:
    lanes = Passwords(Settings.from_env({}, argon2_memory_kib=1024, argon2_time_cost=1,
                                        argon2_parallelism=2))
    hashed = lanes.hash(PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=1024,t=1,p=2$")
    assert lanes.verify(hashed, PASSWORD) is True and lanes.verify(hashed, "x") is False


@pytest.mark.parametrize("bad_hash", ["é", "$argon2id$v=19$m=1024,t=1,p=1$\x00$y",
                                      "$argon2id$v=19$m=99999999999,t=1,p=1$AAAA$AAAA",
                                      "$argon2id$" + "9" * 5000])
def test_a_hostile_stored_hash_never_verifies_nor_raises(passwords: Passwords,
                                                         bad_hash: str) -> None:
    assert passwords.verify(bad_hash, PASSWORD) is False


def test_a_password_that_is_not_valid_unicode_never_verifies(passwords: Passwords,
                                                            hashed: str) -> None:
    assert passwords.verify(hashed, "\ud800") is False  # a lone surrogate: not UTF-8
