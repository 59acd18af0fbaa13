"""Pairwise `sub` values are stored at first use and never change (OIDC Core §8.1; FEDERATION.md
"`sub`"): not when the pairwise salt changes, and the same in the ID token, userinfo,
introspection, the logout hint; shared by the clients of one sector, distinct across sectors."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from starlette.testclient import TestClient

from idp.app import create_app
from idp.oidc.subject import subject_for
from idp.runtime import Runtime
from idp.settings import Settings
from idp.storage.models import Client, Subject
from tests.conftest import ISSUER
from tests.factories import Factories
from tests.integration.flows import decode_jwt, introspect, tokens_for
from tests.oidc_helpers import auth_request, authorize_redirect


def _userinfo_sub(http: TestClient, access_token: str) -> str:
    response = http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200, response.text
    return str(response.json()["sub"])


def _sub(tokens: dict[str, Any]) -> str:
    return str(decode_jwt(tokens["id_token"])[1]["sub"])


def _set_sector(rt: Runtime, client_id: str, sector: str) -> None:
    with rt.db.transaction() as s:
        s.execute(update(Client).where(Client.client_id == client_id)
                  .values(sector_identifier=sector))
    rt.clients.invalidate()


@contextmanager
def _hub(settings: Settings, clock: Any) -> Iterator[tuple[Runtime, TestClient]]:
    """A hub process of its own (its runtime reads the keys folder when it starts)."""
    runtime = Runtime.build(settings, clock)
    try:
        with TestClient(create_app(settings, runtime=runtime), base_url=ISSUER) as http:
            yield runtime, http
    finally:
        runtime.close()


def test_a_new_pairwise_salt_changes_no_sub_already_given(  # type: ignore[no-untyped-def]
        rt: Runtime, settings: Settings, clock, tmp_path: Path) -> None:
    own = settings.__class__.from_env({}, **{**settings.__dict__, "keys_dir": str(tmp_path)})
    with _hub(own, clock) as (first, http):
        client = Factories(first).client(subject_type="pairwise")
        Factories(first).account("alice")
        before = tokens_for(http, client, "alice")
    old_salt = (tmp_path / "pairwise.salt").read_bytes()
    (tmp_path / "pairwise.salt").write_bytes(secrets.token_bytes(32))
    with _hub(own, clock) as (second, http):
        assert second.keys.pairwise_salt != old_salt
        after = tokens_for(http, client, "alice")
        sub = _sub(before)
        assert _sub(after) == sub
        assert _userinfo_sub(http, after["access_token"]) == sub
        assert introspect(http, client, after["refresh_token"])["sub"] == sub
        assert introspect(http, client, after["access_token"])["sub"] == sub
        # The ID token given before the change still names the logged-in user: the
        # id_token_hint check (OIDC Core §3.1.2.1) compares the stored sub.
        req = auth_request(client.client_id, client.redirect_uri, prompt="none",
                           id_token_hint=before["id_token"])
        assert "code" in authorize_redirect(http, req)
        with second.db.read() as s:
            account_subject = s.scalar(select(Subject.sub))
        assert account_subject == sub
        # What the new salt would have given is another value: the stored one prevailed.
        with second.db.read() as s:
            from idp.storage.repositories import accounts as accounts_repo
            alice = accounts_repo.find_by_login(s, "alice")
        assert subject_for(alice.subject, "pairwise", client.client_id,
                           second.keys.pairwise_salt) != sub


def test_clients_of_one_sector_share_the_sub_and_sectors_differ(  # type: ignore[no-untyped-def]
        rt: Runtime, http: TestClient, factories: Factories) -> None:
    one, same = (factories.client(subject_type="pairwise") for _ in range(2))
    other = factories.client(subject_type="pairwise")
    _set_sector(rt, one.client_id, "impots.gouv.example")
    _set_sector(rt, same.client_id, "impots.gouv.example")
    _set_sector(rt, other.client_id, "ameli.example")
    factories.account("alice")
    subs = [_sub(tokens_for(http, c, "alice")) for c in (one, same, other)]
    assert subs[0] == subs[1] != subs[2]
    with rt.db.read() as s:
        rows = sorted((r.sector, r.sub) for r in s.scalars(select(Subject)))
    assert rows == sorted([("impots.gouv.example", subs[0]), ("ameli.example", subs[2])])


def test_public_clients_see_the_account_subject_and_nothing_is_stored(  # type: ignore[no-untyped-def]
        rt: Runtime, http: TestClient, factories: Factories) -> None:
    client = factories.client()
    made = factories.account("alice")
    assert _sub(tokens_for(http, client, "alice")) == made["subject"]
    with rt.db.read() as s:
        assert s.scalars(select(Subject)).all() == []


def test_a_stored_sub_is_read_back_not_recomputed(  # type: ignore[no-untyped-def]
        rt: Runtime, http: TestClient, factories: Factories) -> None:
    # A sub stored by an earlier version (or another salt) is the one every answer gives.
    client = factories.client(subject_type="pairwise")
    factories.account("alice")
    first = _sub(tokens_for(http, client, "alice"))
    with rt.db.transaction() as s:
        s.execute(update(Subject).values(sub="kept-from-before"))
    fresh = Runtime.build(rt.settings, rt.clock)  # another process: an empty cache
    try:
        with TestClient(create_app(rt.settings, runtime=fresh), base_url=ISSUER) as other:
            tokens = tokens_for(other, client, "alice")
            assert _sub(tokens) == "kept-from-before" != first
            assert _userinfo_sub(other, tokens["access_token"]) == "kept-from-before"
    finally:
        fresh.close()


def test_logout_hint_and_logout_token_carry_the_stored_pairwise_sub(
        rt: Runtime, http: TestClient, factories: Factories) -> None:
    from urllib.parse import urlencode

    from idp.oidc.endpoints.backchannel_logout import logout_deliveries
    from tests.factories import POST_LOGOUT_URI

    client = factories.client(subject_type="pairwise",
                              backchannel_logout_uri="http://127.0.0.1:9/backchannel")
    factories.account("alice")
    tokens = tokens_for(http, client, "alice")
    claims = decode_jwt(tokens["id_token"])[1]
    # Back-channel logout (§2.4): the logout token names the user as the ID token did.
    from idp.oidc.server import HubAuthorizationServer

    [(_, _, logout_token)] = logout_deliveries(HubAuthorizationServer(rt), claims["sid"])
    assert decode_jwt(logout_token)[1]["sub"] == claims["sub"]
    # RP-initiated logout: the hint's pairwise sub is the session's user, no confirmation.
    query = urlencode({"id_token_hint": tokens["id_token"],
                       "post_logout_redirect_uri": POST_LOGOUT_URI})
    assert http.get("/logout?" + query, follow_redirects=False).status_code == 303
