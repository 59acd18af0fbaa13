"""Signing keys: created on first run with private files 0600, rotated without breaking
tokens already issued, never publishing private members."""

from __future__ import annotations

import stat

from idp.clock import FrozenClock
from idp.oidc.keys import KeyStore
from idp.oidc.tokens import TokenService
from idp.settings import Settings

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def test_first_run_creates_current_and_next_keys_readable_only_by_the_owner(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = KeyStore(tmp_path, FrozenClock(), 3600)
    states = {(k["alg"], k["state"]) for k in store.list()}
    assert states == {("RS256", "current"), ("RS256", "next"), ("ES256", "current"),
                      ("ES256", "next")}
    for path in [*tmp_path.glob("*.pem"), tmp_path / "pairwise.salt"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_jwks_publishes_public_members_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = KeyStore(tmp_path, FrozenClock(), 3600)
    for key in store.public_jwks()["keys"]:
        assert not PRIVATE_MEMBERS & set(key)
        assert key["use"] == "sig" and key["kid"] and key["alg"] in ("RS256", "ES256")


def test_tokens_signed_before_a_rotation_verify_until_the_old_key_retires(tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = FrozenClock()
    settings = Settings.from_env({}, access_token_ttl=600)
    store = KeyStore(tmp_path, clock, retire_after=600)
    tokens = TokenService(settings, store, clock)
    old, claims = tokens.access_token(client_id="c", audience=("c",), scope="", subject="c")
    old_kid = store.current("ES256").kid
    store.rotate()
    assert store.current("ES256").kid != old_kid
    assert old_kid in {k["kid"] for k in store.public_jwks()["keys"]}
    assert tokens.verify_access_token(old) == claims
    clock.advance(601)
    KeyStore(tmp_path, clock, retire_after=600)  # any process's next start purges
    store.RELOAD_CHECK_INTERVAL = 0
    assert old_kid not in {k["kid"] for k in store.public_jwks()["keys"]}
    assert not (tmp_path / f"{old_kid}.pem").exists()
    assert tokens.verify_access_token(old) is None


def test_another_process_sees_a_rotation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = FrozenClock()
    first, second = KeyStore(tmp_path, clock, 600), KeyStore(tmp_path, clock, 600)
    second.RELOAD_CHECK_INTERVAL = 0
    first.rotate()
    assert second.current("ES256").kid == first.current("ES256").kid
