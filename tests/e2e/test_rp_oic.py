"""A relying party built on pyoidc (`oic`), a certified independent implementation: provider
discovery, code flow with PKCE, its own ID token checks (signature, iss, aud, nonce),
userinfo."""

from __future__ import annotations

import secrets
import warnings

import pytest

from tests.e2e.browsing import log_in_and_consent

pytestmark = pytest.mark.e2e
REDIRECT = "http://127.0.0.1:9999/callback"


def test_oic_relying_party_logs_in_and_reads_userinfo(hub) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from oic.oic import Client
        from oic.oic.message import AuthorizationResponse, RegistrationResponse
        from oic.utils.authn.client import CLIENT_AUTHN_METHOD

    registered = hub.client(redirect_uris=[REDIRECT])
    username = hub.user()
    rp = Client(client_authn_method=CLIENT_AUTHN_METHOD)
    rp.provider_config(hub.issuer)
    rp.store_registration_info(RegistrationResponse(
        client_id=registered.client["client_id"], client_secret=registered.secret,
        redirect_uris=[REDIRECT]))
    state, nonce = secrets.token_urlsafe(8), secrets.token_urlsafe(8)
    challenge, verifier = rp.add_code_challenge()
    request = rp.construct_AuthorizationRequest(request_args={
        "client_id": rp.client_id, "response_type": "code", "scope": ["openid", "email"],
        "state": state, "nonce": nonce, "redirect_uri": REDIRECT, **challenge})
    url = request.request(rp.authorization_endpoint)
    with hub.browser() as browser:
        callback = log_in_and_consent(browser, url, username, REDIRECT)
    response = rp.parse_response(AuthorizationResponse, info=callback.split("?", 1)[1],
                                 sformat="urlencoded")
    assert response["state"] == state
    tokens = rp.do_access_token_request(
        state=state, request_args={"code": response["code"], "code_verifier": verifier,
                                   "redirect_uri": REDIRECT},
        authn_method="client_secret_basic")
    id_token = tokens["id_token"]  # verified by oic: signature (JWKS), iss, aud, exp, nonce
    assert id_token["nonce"] == nonce and id_token["iss"] == hub.issuer
    userinfo = rp.do_user_info_request(state=state)
    assert userinfo["sub"] == id_token["sub"]
    assert userinfo["email"] == f"{username}@example.test"
