"""Signing keys: created on first run with private files 0600, rotated without breaking
tokens already issued, never publishing private members, shared by processes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from idp.clock import FrozenClock
from idp.oidc.jws import b64url_decode
from idp.oidc.keys import KeyStore
from idp.oidc.tokens import TokenService
from idp.settings import Settings

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}
RETIRE_AFTER = 600


def published_kids(store: KeyStore) -> set[str]:
    return {k["kid"] for k in store.public_jwks()["keys"]}


def kid_in_state(store: KeyStore, alg: str, state: str) -> str:
    [kid] = [k["kid"] for k in store.list() if k["alg"] == alg and k["state"] == state]
    return kid


def access_token(tokens: TokenService) -> tuple[str, dict]:
    return tokens.access_token(client_id="c", audience=("c",), scope="", subject="c")


def test_first_run_creates_a_current_and_a_next_key_per_algorithm(tmp_path: Path) -> None:
    store = KeyStore(tmp_path, FrozenClock(), RETIRE_AFTER)
    assert sorted((k["alg"], k["state"]) for k in store.list()) == [
        ("ES256", "current"), ("ES256", "next"), ("RS256", "current"), ("RS256", "next")]
    assert store.current("RS256").alg == "RS256" and store.current("ES256").alg == "ES256"


def test_private_key_files_and_the_pairwise_salt_are_readable_by_the_owner_only(
    tmp_path: Path,
) -> None:
    store = KeyStore(tmp_path, FrozenClock(), RETIRE_AFTER)
    files = [tmp_path / f"{k['kid']}.pem" for k in store.list()]
    assert len(files) == 4
    for path in [*files, tmp_path / "pairwise.salt"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert len(store.pairwise_salt) == 32


def test_a_second_start_keeps_the_existing_keys_and_salt(tmp_path: Path) -> None:
    first = KeyStore(tmp_path, FrozenClock(), RETIRE_AFTER)
    second = KeyStore(tmp_path, FrozenClock(), RETIRE_AFTER)
    assert second.list() == first.list() and second.pairwise_salt == first.pairwise_salt


def test_jwks_publishes_no_private_member(tmp_path: Path) -> None:
    store = KeyStore(tmp_path, FrozenClock(), RETIRE_AFTER)
    store.rotate()  # retiring keys are published too
    keys = store.public_jwks()["keys"]
    assert len(keys) == 6
    for key in keys:
        assert not PRIVATE_MEMBERS & set(key), key


def test_jwks_lists_kid_alg_and_use_of_every_current_and_next_key(tmp_path: Path) -> None:
    store = KeyStore(tmp_path, FrozenClock(), RETIRE_AFTER)
    published = {(k["kid"], k["alg"], k["use"], k["kty"]) for k in store.public_jwks()["keys"]}
    expected = {(k["kid"], k["alg"], "sig", "RSA" if k["alg"] == "RS256" else "EC")
                for k in store.list()}
    assert published == expected


def test_rotation_promotes_the_published_next_key_and_keeps_the_old_one_published(
    tmp_path: Path,
) -> None:
    clock = FrozenClock(1_800_000_000)
    store = KeyStore(tmp_path, clock, RETIRE_AFTER)
    before = {alg: (kid_in_state(store, alg, "current"), kid_in_state(store, alg, "next"))
              for alg in ("RS256", "ES256")}
    store.rotate()
    states = {k["kid"]: k for k in store.list()}
    for alg, (old_current, old_next) in before.items():
        assert store.current(alg).kid == old_next
        assert states[old_current]["state"] == "retiring"
        assert states[old_current]["retire_at"] == 1_800_000_000 + RETIRE_AFTER
        new_next = kid_in_state(store, alg, "next")
        assert new_next not in (old_current, old_next)
        assert {old_current, old_next, new_next} <= published_kids(store)


def test_a_retiring_key_stays_published_until_its_retire_at(tmp_path: Path) -> None:
    clock = FrozenClock()
    store = KeyStore(tmp_path, clock, RETIRE_AFTER)
    old = store.current("ES256").kid
    store.rotate()
    clock.advance(RETIRE_AFTER - 1)
    restarted = KeyStore(tmp_path, clock, RETIRE_AFTER)
    assert old in published_kids(restarted) and (tmp_path / f"{old}.pem").exists()


def test_a_retired_key_leaves_the_jwks_and_its_file_is_deleted(tmp_path: Path) -> None:
    clock = FrozenClock()
    store = KeyStore(tmp_path, clock, RETIRE_AFTER)
    old = store.current("ES256").kid
    store.rotate()
    clock.advance(RETIRE_AFTER + 1)
    restarted = KeyStore(tmp_path, clock, RETIRE_AFTER)  # any process's next start purges
    assert old not in published_kids(restarted)
    assert old not in {k["kid"] for k in restarted.list()}
    assert not (tmp_path / f"{old}.pem").exists()
    store.RELOAD_CHECK_INTERVAL = 0  # the running process follows
    assert old not in published_kids(store)


def test_a_token_signed_before_a_rotation_still_verifies_after_it(tmp_path: Path) -> None:
    clock = FrozenClock()
    settings = Settings.from_env({}, access_token_ttl=RETIRE_AFTER)
    store = KeyStore(tmp_path, clock, RETIRE_AFTER)
    token, claims = access_token(TokenService(settings, store, clock))
    store.rotate()
    # A new TokenService: nothing remembered from signing, the retiring key must be found.
    assert TokenService(settings, store, clock).verify_access_token(token) == claims


def test_tokens_signed_after_a_rotation_use_the_promoted_key(tmp_path: Path) -> None:
    clock = FrozenClock()
    settings = Settings.from_env({}, access_token_ttl=RETIRE_AFTER)
    store = KeyStore(tmp_path, clock, RETIRE_AFTER)
    promoted = kid_in_state(store, "ES256", "next")
    store.rotate()
    token, _ = access_token(TokenService(settings, store, clock))
    assert json.loads(b64url_decode(token.split(".")[0].encode()))["kid"] == promoted


def test_a_token_of_a_retired_key_no_longer_verifies(tmp_path: Path) -> None:
    clock = FrozenClock()
    settings = Settings.from_env({}, access_token_ttl=RETIRE_AFTER)
    store = KeyStore(tmp_path, clock, RETIRE_AFTER)
    store.RELOAD_CHECK_INTERVAL = 0
    tokens = TokenService(settings, store, clock)
    token, claims = access_token(tokens)
    store.rotate()
    assert tokens.verify_access_token(token) == claims  # verified once, remembered
    clock.advance(RETIRE_AFTER + 1)
    KeyStore(tmp_path, clock, RETIRE_AFTER)
    clock.advance(-2)  # even were the token still unexpired, its key is gone
    assert tokens.verify_access_token(token) is None


def test_another_process_sees_a_rotation(tmp_path: Path) -> None:
    clock = FrozenClock()
    first, second = KeyStore(tmp_path, clock, RETIRE_AFTER), KeyStore(tmp_path, clock,
                                                                       RETIRE_AFTER)
    second.RELOAD_CHECK_INTERVAL = 0
    first.rotate()
    for alg in ("RS256", "ES256"):
        assert second.current(alg).kid == first.current(alg).kid
    assert published_kids(second) == published_kids(first)


def test_another_process_sees_a_rotation_within_one_file_timestamp_tick(
    tmp_path: Path,
) -> None:
    # Many kernels stamp files with a coarse clock (a few ms): a rotation written in the
    # same tick as another process's last read leaves the manifest's mtime unchanged.
    clock = FrozenClock()
    first, second = KeyStore(tmp_path, clock, RETIRE_AFTER), KeyStore(tmp_path, clock,
                                                                       RETIRE_AFTER)
    second.RELOAD_CHECK_INTERVAL = 0
    manifest = tmp_path / "manifest.json"
    seen = manifest.stat()
    first.rotate()
    os.utime(manifest, ns=(seen.st_atime_ns, seen.st_mtime_ns))
    assert second.current("ES256").kid == first.current("ES256").kid


def test_a_process_checks_for_rotations_at_most_once_per_interval(tmp_path: Path) -> None:
    clock = FrozenClock()
    first, second = KeyStore(tmp_path, clock, RETIRE_AFTER), KeyStore(tmp_path, clock,
                                                                       RETIRE_AFTER)
    second.RELOAD_CHECK_INTERVAL = 3600
    second.current("ES256")  # starts the interval
    before = second.current("ES256").kid
    first.rotate()
    assert second.current("ES256").kid == before
