"""UserInfo (OIDC Core §5.3): claims by scope and by the claims parameter; bearer errors."""

from __future__ import annotations

import json

from tests.integration.flows import decode_jwt, sign_in, tokens_for


def _userinfo(http, token, method="GET"):  # type: ignore[no-untyped-def]
    if method == "POST":
        return http.post("/userinfo", data={"access_token": token})
    return http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})


def test_claims_follow_the_granted_scopes(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice", phone="+33600000000", siret="12345678901234")
    body = _userinfo(http, tokens_for(http, client, "alice", scope="openid email")
                     ["access_token"]).json()
    assert set(body) == {"sub", "email", "email_verified"}


def test_userinfo_accepts_post_with_form_token(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    token = tokens_for(http, client, "alice")["access_token"]
    assert _userinfo(http, token, "POST").status_code == 200


def test_claims_parameter_adds_claims_to_userinfo_and_id_token(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice", siret="12345678901234")
    claims = {"userinfo": {"siret": {"essential": True}}, "id_token": {"given_name": None}}
    tokens = tokens_for(http, client, "alice", scope="openid", claims=json.dumps(claims))
    assert _userinfo(http, tokens["access_token"]).json()["siret"] == "12345678901234"
    id_claims = decode_jwt(tokens["id_token"])[1]
    assert id_claims["given_name"] == "Camille" and "siret" not in id_claims


def test_id_token_carries_no_profile_claims_unless_asked(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    claims = decode_jwt(sign_in(http, factories, client)["id_token"])[1]
    assert "email" not in claims and "given_name" not in claims


def test_missing_token_gets_a_bearer_challenge(http):  # type: ignore[no-untyped-def]
    response = http.get("/userinfo")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_invalid_revoked_or_foreign_tokens_are_invalid_token(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    tokens = sign_in(http, factories, client)
    assert 'error="invalid_token"' in _userinfo(http, "x.y.z").headers["www-authenticate"]
    id_as_bearer = _userinfo(http, tokens["id_token"])
    assert id_as_bearer.status_code == 401
    http.post("/revoke", data={"token": tokens["access_token"]},
              auth=(client.client_id, client.secret))
    assert _userinfo(http, tokens["access_token"]).status_code == 401


def test_client_credentials_token_is_not_accepted_at_userinfo(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                              scope="openid")
    token = http.post("/token", data={"grant_type": "client_credentials", "scope": "openid"},
                      auth=(client.client_id, client.secret)).json()["access_token"]
    assert _userinfo(http, token).status_code == 401


def test_pairwise_subjects_differ_between_sectors_and_match_userinfo(http, factories):  # type: ignore[no-untyped-def]
    first = factories.client(subject_type="pairwise")
    second = factories.client(subject_type="pairwise")
    factories.account("alice")
    a = tokens_for(http, first, "alice")
    b = tokens_for(http, second, "alice")
    sub_a, sub_b = decode_jwt(a["id_token"])[1]["sub"], decode_jwt(b["id_token"])[1]["sub"]
    assert sub_a != sub_b
    assert _userinfo(http, a["access_token"]).json()["sub"] == sub_a


ADDRESS = {"street_address": "20 avenue de Ségur", "postal_code": "75007", "locality": "Paris",
           "country": "France"}
ADDRESS_CLAIM = {**ADDRESS, "formatted": "20 avenue de Ségur\n75007 Paris\nFrance"}


def test_address_scope_returns_the_structured_address_claim_at_userinfo(http, factories):  # type: ignore[no-untyped-def]
    # OIDC Core §5.4: scope `address` asks for the `address` claim, §5.1.1 its JSON object.
    client = factories.client(scope="openid address")
    factories.account("alice", postal_address=ADDRESS)
    tokens = tokens_for(http, client, "alice", scope="openid address")
    body = _userinfo(http, tokens["access_token"]).json()
    assert body["address"] == ADDRESS_CLAIM and set(body) == {"sub", "address"}
    assert "address" not in decode_jwt(tokens["id_token"])[1]  # not asked for there


def test_address_goes_in_the_id_token_when_the_claims_parameter_asks(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(scope="openid address")
    factories.account("alice", postal_address=ADDRESS)
    tokens = tokens_for(http, client, "alice", scope="openid",
                        claims=json.dumps({"id_token": {"address": None}}))
    assert decode_jwt(tokens["id_token"])[1]["address"] == ADDRESS_CLAIM


def test_address_scope_without_an_address_returns_no_address_claim(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(scope="openid address")
    factories.account("alice")
    tokens = tokens_for(http, client, "alice", scope="openid address")
    assert "address" not in _userinfo(http, tokens["access_token"]).json()


def test_discovery_lists_every_claim_its_scopes_release(http):  # type: ignore[no-untyped-def]
    from idp.oidc.claims import SCOPE_CLAIMS

    meta = http.get("/.well-known/openid-configuration").json()
    assert "address" in meta["scopes_supported"] and "address" in meta["claims_supported"]
    for scope, names in SCOPE_CLAIMS.items():
        assert scope in meta["scopes_supported"], scope
        assert set(names) <= set(meta["claims_supported"]), scope
