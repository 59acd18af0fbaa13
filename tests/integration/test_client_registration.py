"""Dynamic client registration (RFC 7591) and management (RFC 7592) through the hub's HTTP
interface: every success and refusal, owner isolation between two applications, secret
rotation and expiry at the token endpoint, audit events without secrets."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from joserfc.jwk import ECKey
from sqlalchemy import select

from idp import admin
from idp.storage.models import AuditEvent
from idp.storage.repositories import clients as clients_repo
from tests.conftest import ISSUER

YEAR = 424 * 86400
CHORUS_SCOPES = "chorus.factures chorus.structures"


def make_app(factories, rt, client_id: str = "chorus", *, days: int = 424,
             audiences: tuple[str, ...] = ("chorus-api",)) -> Any:  # type: ignore[no-untyped-def]
    app = factories.client(client_id, grant_types=["client_credentials"], redirect_uris=[],
                           scope="registration")
    admin.update_client(rt.db, rt.clock.now(), client_id, registration_scope=CHORUS_SCOPES,
                        registration_audiences=list(audiences),
                        registration_max_secret_days=days)
    return app


def token_of(http, app, scope: str = "registration") -> str:  # type: ignore[no-untyped-def]
    response = http.post("/token", data={"grant_type": "client_credentials", "scope": scope},
                         auth=(app.client_id, app.secret))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


TECHNICAL = {"client_name": "Utilisateur technique 12345678200010",
             "grant_types": ["client_credentials"],
             "token_endpoint_auth_method": "client_secret_basic",
             "scope": "chorus.factures", "audience": ["chorus-api"],
             "software_id": "chorus-pro"}


def register(http, token: str, body: Any = None, **headers: str):  # type: ignore[no-untyped-def]
    return http.post("/register", json=TECHNICAL if body is None else body,
                     headers={**bearer(token), **headers})


@pytest.fixture
def chorus(http, factories, rt):  # type: ignore[no-untyped-def]
    app = make_app(factories, rt)
    return app, token_of(http, app)


# Registration ---------------------------------------------------------------------------------


def test_registers_a_technical_user_that_gets_tokens(http, chorus, clock) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    response = register(http, token)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert len(body["client_id"]) >= 40 and len(body["client_secret"]) >= 43
    assert body["client_id_issued_at"] == clock.now()
    assert body["client_secret_expires_at"] == clock.now() + YEAR
    assert body["registration_client_uri"] == f"{ISSUER}/register/{body['client_id']}"
    assert body["registration_access_token"]
    assert body["grant_types"] == ["client_credentials"] and body["response_types"] == []
    assert body["scope"] == "chorus.factures" and body["audience"] == ["chorus-api"]
    assert body["client_name"] == TECHNICAL["client_name"]
    assert body["software_id"] == "chorus-pro"
    issued = http.post("/token", data={"grant_type": "client_credentials"},
                       auth=(body["client_id"], body["client_secret"]))
    assert issued.status_code == 200, issued.text
    assert issued.json()["scope"] == "chorus.factures"
    introspected = http.post("/introspect", data={"token": issued.json()["access_token"]},
                             auth=(body["client_id"], body["client_secret"]))
    assert introspected.json()["aud"] == "chorus-api"


def test_defaults_expiry_requested_and_bounded(http, chorus, clock) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    minimal = register(http, token, {"grant_types": ["client_credentials"]})
    assert minimal.status_code == 201, minimal.text
    assert minimal.json()["scope"] == CHORUS_SCOPES
    assert minimal.json()["audience"] == ["chorus-api"]
    assert minimal.json()["client_secret_expires_at"] == clock.now() + YEAR
    asked = register(http, token, {**TECHNICAL, "client_secret_expires_at": clock.now() + 86400})
    assert asked.json()["client_secret_expires_at"] == clock.now() + 86400
    zero = register(http, token, {**TECHNICAL, "client_secret_expires_at": 0})
    assert zero.json()["client_secret_expires_at"] == clock.now() + YEAR
    # Computed a moment ahead by the application: brought back to the longest lifetime.
    ahead = register(http, token, {**TECHNICAL, "client_secret_expires_at":
                                   clock.now() + YEAR + 60})
    assert ahead.json()["client_secret_expires_at"] == clock.now() + YEAR
    for bad in (clock.now() + YEAR + 61, clock.now() - 1, "soon", True, 1.5, -3):
        refused = register(http, token, {**TECHNICAL, "client_secret_expires_at": bad})
        assert refused.status_code == 400, bad
        assert refused.json()["error"] == "invalid_client_metadata"


def test_code_flow_client_with_redirect_uris(http, chorus) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    body = {"client_name": "Portail", "grant_types": ["authorization_code", "refresh_token"],
            "redirect_uris": ["https://portail.example/callback", "http://127.0.0.1:8080/cb"],
            "token_endpoint_auth_method": "client_secret_post", "scope": "chorus.structures"}
    response = register(http, token, body)
    assert response.status_code == 201, response.text
    assert response.json()["response_types"] == ["code"]
    assert response.json()["redirect_uris"] == body["redirect_uris"]
    assert response.json()["token_endpoint_auth_method"] == "client_secret_post"


@pytest.mark.parametrize("uris", [[], None, ["http://portail.example/cb"], ["https://p.example/cb#x"],
                                  ["/relative"], ["javascript:alert(1)"],
                                  ["https://p.example/" + "a" * 1100]])
def test_bad_redirect_uris_are_invalid_redirect_uri(http, chorus, uris) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    body: dict[str, Any] = {"grant_types": ["authorization_code"], "scope": "chorus.factures"}
    if uris is not None:
        body["redirect_uris"] = uris
    response = register(http, token, body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_redirect_uri"
    assert response.json()["error_description"]


def test_private_key_jwt_with_jwks_or_jwks_uri(http, chorus) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    key = ECKey.generate_key("P-256")
    public = key.as_dict(private=False)
    inline = register(http, token, {**TECHNICAL, "token_endpoint_auth_method": "private_key_jwt",
                                    "jwks": {"keys": [public]}})
    assert inline.status_code == 201, inline.text
    assert "client_secret" not in inline.json()
    assert "client_secret_expires_at" not in inline.json()
    assert inline.json()["jwks"] == {"keys": [public]}
    by_uri = register(http, token, {**TECHNICAL, "token_endpoint_auth_method": "private_key_jwt",
                                    "jwks_uri": "https://chorus.example/jwks"})
    assert by_uri.status_code == 201 and by_uri.json()["jwks_uri"] == "https://chorus.example/jwks"
    private = key.as_dict(private=True)
    for bad in ({"jwks": {"keys": [private]}},
                {"jwks": {"keys": [public]}, "jwks_uri": "https://chorus.example/jwks"},
                {},
                {"jwks": {"keys": [{"kty": "oct", "k": "AAAA"}]}},
                {"jwks": {"keys": [{"kty": "EC", "crv": "P-256", "x": "bad"}]}},
                {"jwks": {"keys": "x"}},
                {"jwks_uri": "http://chorus.example/jwks"},
                {"client_secret_expires_at": 2_000_000_000, "jwks": {"keys": [public]}}):
        refused = register(http, token, {**TECHNICAL, "token_endpoint_auth_method":
                                         "private_key_jwt", **bad})
        assert refused.status_code == 400, bad
        assert refused.json()["error"] == "invalid_client_metadata", bad
    secret_with_keys = register(http, token, {**TECHNICAL, "jwks": {"keys": [public]}})
    assert secret_with_keys.status_code == 400


@pytest.mark.parametrize("change", [
    {"grant_types": ["password"]}, {"grant_types": ["implicit"]},
    {"grant_types": ["client_credentials", "authorization_code"]},
    {"grant_types": ["refresh_token"]}, {"grant_types": "client_credentials"},
    {"grant_types": ["client_credentials", "client_credentials"]},
    {"response_types": ["code"]}, {"token_endpoint_auth_method": "none"},
    {"token_endpoint_auth_method": "tls_client_auth"}, {"token_endpoint_auth_method": 3},
    {"scope": "chorus.factures registration"}, {"scope": "openid"}, {"scope": ""},
    {"scope": ["chorus.factures"]}, {"scope": 'chorus"factures'},
    {"audience": ["other-api"]}, {"audience": "chorus-api"}, {"audience": [1]},
    {"client_name": ""}, {"client_name": "x" * 256}, {"client_name": 12},
    {"client_name": "a\u2028b"}, {"software_id": {"a": 1}},
    {"redirect_uris": ["https://x.example/cb"]},
])
def test_invalid_metadata_is_refused(http, chorus, change) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    response = register(http, token, {**TECHNICAL, **change})
    assert response.status_code == 400, change
    assert response.json()["error"] in ("invalid_client_metadata", "invalid_redirect_uri")
    assert response.json()["error_description"]


def test_software_statement_is_refused(http, chorus) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    response = register(http, token, {**TECHNICAL, "software_statement": "eyJ.eyJ.sig"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_software_statement"


def test_unknown_metadata_is_ignored(http, chorus) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    response = register(http, token, {**TECHNICAL, "logo_uri": "https://x.example/l.png",
                                      "contacts": ["a@example.test"]})
    assert response.status_code == 201
    assert "logo_uri" not in response.json()


@pytest.mark.parametrize("raw", [
    b'{"client_name": "a", "client_name": "b", "grant_types": ["client_credentials"]}',
    b'{"client_name": "a\\u0000b", "grant_types": ["client_credentials"]}',
    b'{"grant_types": ["client_credentials\\u0000"]}',
    b'{"grant_types": ["client_credentials"], "x\\u0001": 1}',
    b'["client_credentials"]', b'"x"', b"null", b"{not json", b"\xff\xfe{}",
    b"[" * 5000 + b"]" * 5000, b'{"a":' * 20 + b"1" + b"}" * 20,
    b'{"client_name": "' + b"x" * 40_000 + b'"}', b"",
])
def test_hostile_bodies_get_400_never_500(http, chorus, raw) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    response = http.post("/register", content=raw,
                         headers={**bearer(token), "Content-Type": "application/json"})
    assert response.status_code == 400, raw[:60]
    assert response.json()["error"] == "invalid_client_metadata"


def test_other_media_types_and_huge_bodies(http, chorus) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    form = http.post("/register", data={"client_name": "x"}, headers=bearer(token))
    assert form.status_code == 400 and form.json()["error"] == "invalid_client_metadata"
    huge = http.post("/register", content=b"{" + b" " * 70_000 + b"}",
                     headers={**bearer(token), "Content-Type": "application/json"})
    assert huge.status_code == 413 and huge.json()["error"] == "invalid_request"


# Authorisation of /register --------------------------------------------------------------------


def _assert_invalid_token(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"] == "invalid_token"


def test_register_needs_a_valid_registration_token(http, factories, rt, clock) -> None:  # type: ignore[no-untyped-def]
    app = make_app(factories, rt)
    _assert_invalid_token(http.post("/register", json=TECHNICAL))
    _assert_invalid_token(register(http, "not-a-token"))
    _assert_invalid_token(register(http, "a.b.c"))
    _assert_invalid_token(http.post("/register", json=TECHNICAL,
                                    headers={"Authorization": f"Basic {app.secret}"}))
    # A token without the registration scope (the client holds another scope too).
    other = factories.client("worker", grant_types=["client_credentials"], redirect_uris=[],
                             scope="registration chorus.factures")
    admin.update_client(rt.db, clock.now(), "worker", registration_scope="chorus.factures")
    _assert_invalid_token(register(http, token_of(http, other, "chorus.factures"),
                                   {"grant_types": ["client_credentials"]}))
    # A registration token of a client with no registration policy.
    bare = factories.client("bare", grant_types=["client_credentials"], redirect_uris=[],
                            scope="registration")
    _assert_invalid_token(register(http, token_of(http, bare)))
    # An expired token.
    token = token_of(http, app)
    clock.advance(rt.settings.access_token_ttl + 1)
    _assert_invalid_token(register(http, token))
    # A revoked one.
    token = token_of(http, app)
    assert http.post("/revoke", data={"token": token},
                     auth=(app.client_id, app.secret)).status_code == 200
    _assert_invalid_token(register(http, token))
    # The policy withdrawn by the operator: the next request is refused.
    token = token_of(http, app)
    admin.update_client(rt.db, clock.now(), "chorus", registration_scope="")
    _assert_invalid_token(register(http, token))


# RFC 7592 management ---------------------------------------------------------------------------


def _path(uri: str) -> str:
    return uri.removeprefix(ISSUER)


def test_manage_with_the_registration_access_token(http, chorus, clock, rt, factories) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    created = register(http, token).json()
    uri, rat = _path(created["registration_client_uri"]), created["registration_access_token"]

    read = http.get(uri, headers=bearer(rat))
    assert read.status_code == 200 and read.headers["cache-control"] == "no-store"
    assert "client_secret" not in read.json()
    assert read.json()["registration_access_token"] == rat  # the token that read it
    assert read.json()["client_secret_expires_at"] == created["client_secret_expires_at"]
    assert created["client_secret"] not in read.text

    replaced = http.put(uri, headers=bearer(rat), json={
        **read.json(), "client_name": "Connecteur renommé", "scope": "chorus.structures",
        "client_secret": created["client_secret"]})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["client_name"] == "Connecteur renommé"
    assert replaced.json()["scope"] == "chorus.structures"
    assert replaced.json()["client_secret_expires_at"] == created["client_secret_expires_at"]

    clock.advance(100)
    rotated = http.post(uri + "/secret", headers=bearer(rat))
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["client_secret"] != created["client_secret"]
    assert rotated.json()["client_secret_expires_at"] == clock.now() + YEAR
    old = http.post("/token", data={"grant_type": "client_credentials"},
                    auth=(created["client_id"], created["client_secret"]))
    assert old.status_code == 401 and old.json()["error"] == "invalid_client"
    assert "expired" not in old.text
    new = http.post("/token", data={"grant_type": "client_credentials"},
                    auth=(created["client_id"], rotated.json()["client_secret"]))
    assert new.status_code == 200

    access = new.json()["access_token"]
    deleted = http.delete(uri, headers=bearer(rat))
    assert deleted.status_code == 204 and deleted.content == b""
    # Its access tokens are inactive for resource servers (a client_credentials token has no
    # grant to revoke: introspection no longer finds its client).
    api = factories.client("chorus-api", grant_types=["client_credentials"], redirect_uris=[],
                           scope="chorus.factures")
    assert http.post("/introspect", data={"token": access},
                     auth=(api.client_id, api.secret)).json() == {"active": False}
    _assert_invalid_token(http.get(uri, headers=bearer(rat)))
    assert http.post("/introspect", data={"token": token},  # another client's: still active
                     auth=(api.client_id, api.secret)).json()["active"] is True
    gone = http.post("/token", data={"grant_type": "client_credentials"},
                     auth=(created["client_id"], rotated.json()["client_secret"]))
    assert gone.status_code == 401
    with rt.db.read() as s:
        assert clients_repo.get_client(s, created["client_id"]) is None


def test_put_rules(http, chorus) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    created = register(http, token).json()
    uri = _path(created["registration_client_uri"])
    current = http.get(uri, headers=bearer(token)).json()
    assert current["registration_access_token"] == token  # the owner's, which read it
    for bad in ({**current, "client_id": "someone-else"},
                {k: v for k, v in current.items() if k != "client_id"},
                {**current, "client_secret": "not-the-secret"},
                {**current, "scope": "registration"},
                {**current, "token_endpoint_auth_method": "private_key_jwt",
                 "jwks_uri": "https://x.example/jwks"},
                {**current, "audience": ["elsewhere"]}):
        refused = http.put(uri, headers=bearer(token), json=bad)
        assert refused.status_code == 400, bad
        assert refused.json()["error"] == "invalid_client_metadata"
    # A full replacement: what is left out goes back to its default.
    minimal = http.put(uri, headers=bearer(token), json={
        "client_id": created["client_id"], "grant_types": ["client_credentials"]})
    assert minimal.status_code == 200, minimal.text
    assert minimal.json()["client_name"] == created["client_id"]
    assert minimal.json()["scope"] == CHORUS_SCOPES
    assert "software_id" not in minimal.json()


def test_rotation_with_a_requested_expiry(http, chorus, clock) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    created = register(http, token).json()
    uri = _path(created["registration_client_uri"]) + "/secret"
    asked = http.post(uri, headers=bearer(token),
                      json={"client_secret_expires_at": clock.now() + 30 * 86400})
    assert asked.status_code == 200
    assert asked.json()["client_secret_expires_at"] == clock.now() + 30 * 86400
    for bad in ({"client_secret_expires_at": clock.now() + YEAR + 61},
                {"client_secret_expires_at": "x"}, {"client_secret": "mine"}, ["x"]):
        refused = http.post(uri, headers=bearer(token), json=bad)
        assert refused.status_code == 400, bad
        assert refused.json()["error"] == "invalid_client_metadata"


def test_rotation_of_a_private_key_jwt_client_is_refused(http, chorus) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    created = register(http, token, {**TECHNICAL, "token_endpoint_auth_method": "private_key_jwt",
                                     "jwks_uri": "https://chorus.example/jwks"}).json()
    refused = http.post(_path(created["registration_client_uri"]) + "/secret",
                        headers=bearer(token))
    assert refused.status_code == 400


def test_owner_isolation_between_two_applications(http, factories, rt) -> None:  # type: ignore[no-untyped-def]
    chorus = make_app(factories, rt)
    other = make_app(factories, rt, "autre-app")
    chorus_token, other_token = token_of(http, chorus), token_of(http, other)
    mine = register(http, chorus_token).json()
    theirs = register(http, other_token).json()
    uri = _path(mine["registration_client_uri"])
    # The owner's registration token manages it.
    assert http.get(uri, headers=bearer(chorus_token)).status_code == 200
    # Another application's token, or another client's registration access token: the same
    # answer as for a client id that does not exist.
    unknown = http.get("/register/no-such-client", headers=bearer(other_token))
    _assert_invalid_token(unknown)
    for token in (other_token, theirs["registration_access_token"]):
        for answer in (http.get(uri, headers=bearer(token)),
                       http.put(uri, headers=bearer(token), json={
                           "client_id": mine["client_id"],
                           "grant_types": ["client_credentials"]}),
                       http.post(uri + "/secret", headers=bearer(token)),
                       http.delete(uri, headers=bearer(token))):
            _assert_invalid_token(answer)
            assert answer.json() == unknown.json()
    # An operator's client is nobody's.
    factories.client("apa")
    _assert_invalid_token(http.get("/register/apa", headers=bearer(chorus_token)))
    _assert_invalid_token(http.delete("/register/apa", headers=bearer(chorus_token)))
    # The client's own tokens do not manage it.
    own = http.post("/token", data={"grant_type": "client_credentials"},
                    auth=(mine["client_id"], mine["client_secret"])).json()["access_token"]
    _assert_invalid_token(http.get(uri, headers=bearer(own)))
    # Still there.
    assert http.get(uri, headers=bearer(mine["registration_access_token"])).status_code == 200


def test_hostile_client_ids_in_the_uri(http, chorus) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    for client_id in ("%00", "a%0Ab", "x" * 300, "%C3%A9", "'%20OR%201=1"):
        _assert_invalid_token(http.get(f"/register/{client_id}", headers=bearer(token)))


def test_registered_clients_show_their_owner(http, chorus, rt, clock) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    created = register(http, token).json()
    with rt.db.read() as s:
        row = clients_repo.get_client(s, created["client_id"])
        assert row is not None
        shown = admin.client_as_dict(row)
    assert shown["owner_client_id"] == "chorus" and shown["software_id"] == "chorus-pro"
    admin.update_client(rt.db, clock.now(), created["client_id"], scope="chorus.structures")
    read = http.get(_path(created["registration_client_uri"]), headers=bearer(token))
    assert read.json()["scope"] == "chorus.structures"


# Secret expiry at the token endpoint -----------------------------------------------------------


def test_expired_secret_is_told_only_when_the_secret_is_right(http, chorus, clock) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    created = register(http, token, {**TECHNICAL, "token_endpoint_auth_method":
                                     "client_secret_post"}).json()
    basic = register(http, token).json()
    clock.advance(YEAR - 1)
    ok = http.post("/token", data={"grant_type": "client_credentials",
                                   "client_id": created["client_id"],
                                   "client_secret": created["client_secret"]})
    assert ok.status_code == 200
    clock.advance(1)  # at client_secret_expires_at: expired (RFC 7591 §3.2.1)
    for auth in ({"data": {"client_id": created["client_id"],
                           "client_secret": created["client_secret"]}},
                 {"auth": (basic["client_id"], basic["client_secret"])}):
        expired = http.post("/token", **{**auth, "data": {
            "grant_type": "client_credentials", **auth.get("data", {})}})
        assert expired.status_code == 401, expired.text
        assert expired.json() == {"error": "invalid_client",
                                  "error_description": "The client secret expired."}
    wrong = http.post("/token", data={"grant_type": "client_credentials",
                                      "client_id": created["client_id"],
                                      "client_secret": "wrong"})
    unknown = http.post("/token", data={"grant_type": "client_credentials",
                                        "client_id": "nobody", "client_secret": "wrong"})
    wrong_basic = http.post("/token", data={"grant_type": "client_credentials"},
                            auth=(basic["client_id"], "wrong"))
    unknown_basic = http.post("/token", data={"grant_type": "client_credentials"},
                              auth=("nobody", "wrong"))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() and "expired" not in wrong.text
    assert wrong_basic.status_code == unknown_basic.status_code == 401
    assert wrong_basic.json() == unknown_basic.json()
    # The metadata tells the expiry; a rotation gives a working secret again.
    uri = _path(basic["registration_client_uri"])
    assert http.get(uri, headers=bearer(basic["registration_access_token"])).json()[
        "client_secret_expires_at"] == clock.now()
    fresh = http.post(uri + "/secret", headers=bearer(basic["registration_access_token"])).json()
    assert http.post("/token", data={"grant_type": "client_credentials"},
                     auth=(basic["client_id"], fresh["client_secret"])).status_code == 200


# Audit, discovery -------------------------------------------------------------------------------


def test_each_change_is_audited_without_secrets(http, chorus, rt) -> None:  # type: ignore[no-untyped-def]
    _, token = chorus
    created = register(http, token).json()
    uri = _path(created["registration_client_uri"])
    current = http.get(uri, headers=bearer(token)).json()
    http.put(uri, headers=bearer(token), json=current)
    rotated = http.post(uri + "/secret", headers=bearer(token)).json()
    http.delete(uri, headers=bearer(token))
    rt.audit.flush()
    with rt.db.read() as s:
        events = [e for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))
                  if e.event.startswith("client.")]
    assert [e.event for e in events] == ["client.registered", "client.updated",
                                        "client.secret_rotated", "client.deleted"]
    assert all(e.client_id == created["client_id"] for e in events)
    assert all(e.detail["owner"] == "chorus" for e in events)
    dumped = json.dumps([e.detail for e in events])
    for secret in (created["client_secret"], created["registration_access_token"],
                   rotated["client_secret"], token):
        assert secret not in dumped


def test_discovery_names_the_registration_endpoint(http) -> None:  # type: ignore[no-untyped-def]
    document = http.get("/.well-known/openid-configuration").json()
    assert document["registration_endpoint"] == f"{ISSUER}/register"


def test_the_client_cache_follows_the_version_of_other_processes(rt, factories, clock) -> None:  # type: ignore[no-untyped-def]
    """A second cache on the same database (another process) with a long TTL sees a rotated
    secret after its next version check, without a read per lookup."""
    from idp.oidc.clients import ClientCache, hash_secret

    factories.client("svc", grant_types=["client_credentials"], redirect_uris=[],
                     scope="x", secret="first-secret-of-svc")
    other = ClientCache(rt.db, ttl=3600, clock=clock, version_check=0.2)
    assert other.get("svc").check_client_secret("first-secret-of-svc")
    assert other.peek("svc") is not None  # cached, version checked just now
    with rt.db.transaction() as s:
        row = clients_repo.get_client(s, "svc")
        row.secret_hash = hash_secret("second-secret-of-svc")
        clients_repo.bump_version(s)
    time.sleep(0.25)
    assert other.peek("svc") is None  # a version check is due: no answer without I/O
    assert other.get("svc").check_client_secret("second-secret-of-svc")
    assert not other.get("svc").check_client_secret("first-secret-of-svc")


def test_the_client_cache_checks_the_version_ahead_under_load(rt, factories, clock) -> None:  # type: ignore[no-untyped-def]
    """Past half the interval, a lookup has the version read away from the event loop (the
    submitted check) and still answers; the check ahead sees another process's change."""
    from idp.oidc.clients import ClientCache, hash_secret

    factories.client("svc", grant_types=["client_credentials"], redirect_uris=[],
                     scope="x", secret="first-secret-of-svc")
    other = ClientCache(rt.db, ttl=3600, clock=clock, version_check=2.0)
    submitted: list[Callable[[], None]] = []
    other.submit = submitted.append
    assert other.get("svc") is not None
    assert other.peek("svc") is not None and not submitted  # checked just now
    with rt.db.transaction() as s:
        row = clients_repo.get_client(s, "svc")
        row.secret_hash = hash_secret("second-secret-of-svc")
        clients_repo.bump_version(s)
    time.sleep(1.1)
    assert other.peek("svc") is not None  # still within the interval: answered
    assert other.peek("svc") is not None and len(submitted) == 1  # one check at a time
    submitted.pop()()  # the pool runs it: the change is seen, the cache dropped
    assert other.peek("svc") is None
    assert other.get("svc").check_client_secret("second-secret-of-svc")
    assert other.peek("svc") is not None and not submitted
