from idp.accounts.passwords import Passwords
from idp.settings import Settings


def test_argon2id_hash_verifies_only_the_right_password() -> None:
    passwords = Passwords(Settings.from_env({}, argon2_memory_kib=1024, argon2_time_cost=1))
    hashed = passwords.hash("Motdepasse-2026!")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify(hashed, "Motdepasse-2026!")
    assert not passwords.verify(hashed, "motdepasse-2026!")
    assert not passwords.verify(None, "Motdepasse-2026!")
    assert not passwords.verify("not a hash", "x")


def test_a_hash_made_with_other_parameters_needs_rehashing() -> None:
    weak = Passwords(Settings.from_env({}, argon2_memory_kib=1024, argon2_time_cost=1))
    strong = Passwords(Settings.from_env({}, argon2_memory_kib=2048, argon2_time_cost=2))
    assert strong.needs_rehash(weak.hash("x")) and not weak.needs_rehash(weak.hash("x"))
