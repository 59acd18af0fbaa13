"""Introspection (RFC 7662) and revocation (RFC 7009), both with client authentication."""

from __future__ import annotations

import pytest

from idp.storage.repositories import accounts as accounts_repo
from tests.integration.flows import decode_jwt, introspect, sign_in, tokens_for


def _cc_token(http, client):  # type: ignore[no-untyped-def]
    return http.post("/token", data={"grant_type": "client_credentials"},
                     auth=(client.client_id, client.secret)).json()["access_token"]


def test_introspection_reports_an_active_access_token(http, factories, rt):  # type: ignore[no-untyped-def]
    client = factories.client()
    tokens = sign_in(http, factories, client)
    body = introspect(http, client, tokens["access_token"])
    assert body["active"] is True
    assert body["client_id"] == client.client_id and body["iss"] == rt.settings.issuer
    assert body["token_type"] == "Bearer" and "openid" in body["scope"].split()


def test_a_resource_server_may_introspect_a_token_issued_to_another_client(http, factories):  # type: ignore[no-untyped-def]
    connector = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                                 scope="invoices")
    api = factories.client(grant_types=["client_credentials"], redirect_uris=[], scope="x")
    assert introspect(http, api, _cc_token(http, connector))["active"] is True


def test_introspection_requires_client_authentication(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                              scope="invoices")
    token = _cc_token(http, client)
    anonymous = http.post("/introspect", data={"token": token})
    assert anonymous.status_code in (400, 401) and anonymous.json()["error"] == "invalid_client"
    wrong = http.post("/introspect", data={"token": token}, auth=(client.client_id, "nope"))
    assert wrong.status_code == 401


def test_public_clients_cannot_introspect(http, factories):  # type: ignore[no-untyped-def]
    public = factories.client(auth_method="none")
    response = http.post("/introspect", data={"token": "x", "client_id": public.client_id})
    assert response.json()["error"] == "invalid_client"


def test_revoked_access_token_is_inactive_before_its_expiry(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                              scope="invoices")
    token = _cc_token(http, client)
    response = http.post("/revoke", data={"token": token}, auth=(client.client_id, client.secret))
    assert response.status_code == 200
    assert introspect(http, client, token)["active"] is False


def test_revoking_a_refresh_token_revokes_its_access_tokens(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    tokens = sign_in(http, factories, client)
    http.post("/revoke", data={"token": tokens["refresh_token"],
                               "token_type_hint": "refresh_token"},
              auth=(client.client_id, client.secret))
    assert introspect(http, client, tokens["access_token"])["active"] is False
    assert introspect(http, client, tokens["refresh_token"])["active"] is False


def test_a_client_cannot_revoke_another_clients_token(http, factories):  # type: ignore[no-untyped-def]
    owner = factories.client(grant_types=["client_credentials"], redirect_uris=[], scope="a")
    other = factories.client(grant_types=["client_credentials"], redirect_uris=[], scope="a")
    token = _cc_token(http, owner)
    response = http.post("/revoke", data={"token": token}, auth=(other.client_id, other.secret))
    assert response.status_code == 400
    assert introspect(http, owner, token)["active"] is True


def test_unknown_and_expired_tokens_are_inactive(http, factories, clock, rt):  # type: ignore[no-untyped-def]
    client = factories.client(grant_types=["client_credentials"], redirect_uris=[], scope="a")
    token = _cc_token(http, client)
    assert introspect(http, client, "not-a-token")["active"] is False
    assert introspect(http, client, token[:-4] + "AAAA")["active"] is False
    clock.advance(rt.settings.access_token_ttl + 1)
    assert introspect(http, client, token)["active"] is False


def test_revocation_of_an_unknown_token_succeeds(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(grant_types=["client_credentials"], redirect_uris=[], scope="a")
    response = http.post("/revoke", data={"token": "unknown"},
                         auth=(client.client_id, client.secret))
    assert response.status_code == 200


def test_introspection_without_token_parameter_is_invalid_request(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(grant_types=["client_credentials"], redirect_uris=[], scope="a")
    response = http.post("/introspect", data={}, auth=(client.client_id, client.secret))
    assert response.json()["error"] == "invalid_request"


# RFC 7662 §2.2: both kinds of token answer the same members (as node-oidc-provider does), and
# `sub` is the one the client got in its ID token, public or pairwise (OIDC Core §8).
@pytest.mark.parametrize("subject_type", ["public", "pairwise"])
@pytest.mark.parametrize("kind", ["access_token", "refresh_token"])
def test_introspection_of_either_token_kind_returns_the_id_token_sub(  # type: ignore[no-untyped-def]
        http, factories, rt, kind, subject_type):
    client = factories.client(subject_type=subject_type)
    account = factories.account("alice")
    tokens = tokens_for(http, client, "alice")
    id_token = decode_jwt(tokens["id_token"])[1]
    body = introspect(http, client, tokens[kind], token_type_hint=kind)
    assert body["active"] is True
    assert body["sub"] == id_token["sub"]
    assert (body["sub"] == account["subject"]) is (subject_type == "public")
    assert body["client_id"] == client.client_id
    assert set(body["scope"].split()) == {"openid", "profile", "email"}
    assert body["token_type"] == ("Bearer" if kind == "access_token" else "refresh_token")
    assert isinstance(body["iat"], int) and isinstance(body["exp"], int)
    assert body["iat"] <= rt.clock.now() < body["exp"]


def test_refresh_token_of_a_disabled_account_is_inactive(http, factories, rt):  # type: ignore[no-untyped-def]
    client = factories.client()
    tokens = sign_in(http, factories, client)
    with rt.db.transaction() as s:
        assert accounts_repo.disable_account(s, "alice")
    assert introspect(http, client, tokens["refresh_token"])["active"] is False


@pytest.mark.parametrize("endpoint", ["/introspect", "/revoke"])
def test_a_repeated_parameter_is_refused_not_answered_for_one_of_its_values(  # type: ignore[no-untyped-def]
        http, factories, endpoint):
    """RFC 6749 §3.2, which RFC 7662 §2.1 and RFC 7009 §2.1 take over: a parameter given twice
    is an ambiguous request, refused whatever its values (here a revoked token and a valid
    one: which one would be answered for?)."""
    client = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                              scope="invoices")
    auth = (client.client_id, client.secret)
    revoked, valid = _cc_token(http, client), _cc_token(http, client)
    assert http.post("/revoke", data={"token": revoked}, auth=auth).status_code == 200
    for pair in (f"token={revoked}&token={valid}", f"token={valid}&token={revoked}"):
        response = http.post(endpoint, content=pair, auth=auth, headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 400
        assert response.json() == {"error": "invalid_request",
                                   "error_description": "Repeated parameter: token."}
        assert response.headers["cache-control"] == "no-store"
    # Nothing was revoked by the refused requests.
    assert introspect(http, client, revoked)["active"] is False
    assert introspect(http, client, valid)["active"] is True
