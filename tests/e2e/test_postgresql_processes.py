"""On PostgreSQL: a code redeemed by 20 concurrent requests succeeds once; two hub processes
on one database share codes and revocations. These tests always use PostgreSQL."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.e2e.browsing import log_in_and_consent, params_of
from tests.e2e.conftest import start_hub, stop_hub

pytestmark = pytest.mark.e2e
REDIRECT = "http://127.0.0.1:9999/callback"


@pytest.fixture(scope="module")
def two_hubs(pg_database, tmp_path_factory):  # type: ignore[no-untyped-def]
    keys = tmp_path_factory.mktemp("shared-keys")
    first = start_hub(pg_database, keys)
    second = start_hub(pg_database, keys, issuer=first.issuer)  # one issuer, as behind a LB
    yield first, second
    stop_hub(second)
    stop_hub(first)


def issue_code(hub, client_id: str, username: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    verifier = secrets.token_urlsafe(48)
    query = httpx.QueryParams({
        "response_type": "code", "client_id": client_id, "scope": "openid",
        "redirect_uri": REDIRECT, "state": "s", "code_challenge_method": "S256",
        "code_challenge": create_s256_code_challenge(verifier)})
    with hub.browser() as browser:
        location = log_in_and_consent(browser, f"/authorize?{query}", username, REDIRECT)
    return params_of(location)["code"], verifier


def redeem(issuer: str, client_id: str, secret: str, code: str, verifier: str) -> httpx.Response:
    return httpx.post(issuer + "/token", data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": REDIRECT}, auth=(client_id, secret), timeout=30)


def test_one_code_redeemed_by_twenty_concurrent_requests_succeeds_once(two_hubs) -> None:  # type: ignore[no-untyped-def]
    first, second = two_hubs
    registered = first.client(redirect_uris=[REDIRECT])
    client_id, secret = registered.client["client_id"], registered.secret
    code, verifier = issue_code(first, client_id, first.user())
    issuers = [first.url, second.url] * 10
    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(lambda i: redeem(i, client_id, secret, code, verifier),
                                  issuers))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * 19
    assert {r.json()["error"] for r in responses if r.status_code == 400} == {"invalid_grant"}


def test_code_issued_by_one_process_is_redeemed_at_the_other(two_hubs) -> None:  # type: ignore[no-untyped-def]
    first, second = two_hubs
    registered = first.client(redirect_uris=[REDIRECT])
    client_id, secret = registered.client["client_id"], registered.secret
    code, verifier = issue_code(first, client_id, first.user())
    response = redeem(second.url, client_id, secret, code, verifier)
    assert response.status_code == 200, response.text


def test_token_revoked_at_one_process_is_inactive_at_the_other(two_hubs) -> None:  # type: ignore[no-untyped-def]
    first, second = two_hubs
    registered = first.client(grant_types=["client_credentials"], redirect_uris=[],
                              scope="invoices")
    auth = (registered.client["client_id"], registered.secret)
    token = httpx.post(first.issuer + "/token", data={"grant_type": "client_credentials"},
                       auth=auth).json()["access_token"]
    assert httpx.post(second.url + "/introspect", data={"token": token},
                      auth=auth).json()["active"] is True
    assert httpx.post(first.issuer + "/revoke", data={"token": token},
                      auth=auth).status_code == 200
    assert httpx.post(second.url + "/introspect", data={"token": token},
                      auth=auth).json()["active"] is False
