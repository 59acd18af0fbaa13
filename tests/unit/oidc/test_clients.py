"""Registered clients as authlib sees them: exact redirect URIs (RFC 9700 §4.1.3), secrets
compared in constant time and refused once expired, scopes limited to the registered ones."""

from __future__ import annotations

import hmac

import pytest

from idp.clock import FrozenClock
from idp.oidc.clients import RegisteredClient, hash_secret
from idp.oidc.errors import InvalidClientError
from idp.storage.models import Client

NOW = 1_800_000_000
SECRET = "s3cr3t-0f-4pa-with-enough-entropy-to-be-real-aaaa"
REDIRECT = "https://apa.example/oidc/callback"


def registered(clock: FrozenClock | None = None, **overrides: object) -> RegisteredClient:
    values: dict[str, object] = {
        "client_id": "apa", "name": "APA", "secret_hash": hash_secret(SECRET),
        "secret_expires_at": None, "token_endpoint_auth_method": "client_secret_basic",
        "redirect_uris": [REDIRECT], "post_logout_redirect_uris": ["https://apa.example/bye"],
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": "openid profile email offline_access", "audience": [], "jwks_uri": None,
        "jwks": None, "id_token_signed_response_alg": "RS256", "backchannel_logout_uri": None,
        "subject_type": "public", "sector_identifier": None, "access_rule": None,
        "home_url": None, "created_at": NOW, "updated_at": NOW,
    }
    values.update(overrides)
    return RegisteredClient(Client(**values), clock or FrozenClock(NOW))


# Redirect URIs --------------------------------------------------------------------------------


def test_the_registered_redirect_uri_is_accepted() -> None:
    assert registered().check_redirect_uri(REDIRECT)


@pytest.mark.parametrize("uri", [
    REDIRECT + "/",                                  # trailing slash
    "https://APA.example/oidc/callback",             # case of the host
    "https://apa.example/OIDC/callback",             # case of the path
    REDIRECT + "?next=/admin",                       # extra query
    "https://apa.example/oidc/call",                 # prefix
    REDIRECT + "back",                               # registered one is a prefix
    "https://apa.example/oidc/",                     # parent path
    "https://apa.example:443/oidc/callback",         # explicit default port
    "http://apa.example/oidc/callback",              # other scheme
    REDIRECT + "#x",                                 # fragment
    "",
])
def test_any_other_redirect_uri_is_refused(uri: str) -> None:
    assert not registered().check_redirect_uri(uri)


def test_no_default_redirect_uri_is_guessed() -> None:
    assert registered().get_default_redirect_uri() is None


def test_post_logout_redirect_uris_match_exactly() -> None:
    client = registered()
    assert client.check_post_logout_redirect_uri("https://apa.example/bye")
    assert not client.check_post_logout_redirect_uri("https://apa.example/bye/")


# Client secret --------------------------------------------------------------------------------


def test_the_right_secret_is_accepted() -> None:
    assert registered().check_client_secret(SECRET)


@pytest.mark.parametrize("secret", [SECRET[:-1], SECRET + "a", SECRET.upper(), "",
                                    hash_secret(SECRET)])
def test_a_wrong_secret_is_refused(secret: str) -> None:
    assert not registered().check_client_secret(secret)


def test_the_secret_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest",
                        lambda a, b: calls.append((a, b)) or real(a, b))
    assert registered().check_client_secret(SECRET)
    assert calls == [(hash_secret(SECRET), hash_secret(SECRET))]


def test_a_secret_is_accepted_until_its_expiry() -> None:
    clock = FrozenClock(NOW)
    client = registered(clock, secret_expires_at=NOW + 10)
    clock.advance(9)
    assert client.check_client_secret(SECRET)


def test_an_expired_secret_is_refused_saying_so_only_when_it_is_right() -> None:
    clock = FrozenClock(NOW)
    client = registered(clock, secret_expires_at=NOW + 10)
    clock.advance(10)  # at secret_expires_at: expired (RFC 7591 §3.2.1)
    with pytest.raises(InvalidClientError) as refused:
        client.check_client_secret(SECRET)
    assert refused.value.status_code == 401
    assert refused.value.description == "The client secret expired."
    # A wrong secret is only wrong: nothing tells that the right one expired.
    assert not client.check_client_secret(SECRET + "x")


def test_a_client_without_a_secret_accepts_none() -> None:
    client = registered(secret_hash=None, token_endpoint_auth_method="private_key_jwt")
    assert not client.check_client_secret("") and not client.check_client_secret(SECRET)


# Scope ----------------------------------------------------------------------------------------


def test_requested_scopes_are_limited_to_the_registered_ones() -> None:
    assert registered().get_allowed_scope("openid email phone admin") == "openid email"


def test_requested_scopes_keep_their_order() -> None:
    assert registered().get_allowed_scope("email openid profile") == "email openid profile"


def test_no_registered_scope_requested_gives_an_empty_scope() -> None:
    assert registered().get_allowed_scope("phone siret") == ""


def test_a_missing_scope_gets_the_registered_ones_but_openid_and_offline_access() -> None:
    assert registered().get_allowed_scope(None) == "profile email"
    assert registered().get_allowed_scope("") == "profile email"


# Methods and grant types ----------------------------------------------------------------------


def test_only_the_registered_authentication_method_is_accepted() -> None:
    client = registered()
    assert client.check_endpoint_auth_method("client_secret_basic", "token")
    assert not client.check_endpoint_auth_method("client_secret_post", "token")
    assert not client.check_endpoint_auth_method("none", "token")


def test_only_the_code_response_type_of_a_code_client_is_accepted() -> None:
    assert registered().check_response_type("code")
    assert not registered().check_response_type("token")
    assert not registered(grant_types=["client_credentials"]).check_response_type("code")


def test_only_registered_grant_types_are_accepted() -> None:
    client = registered()
    assert client.check_grant_type("refresh_token")
    assert not client.check_grant_type("client_credentials")


def test_the_audience_defaults_to_the_client_id() -> None:
    assert registered().audience == ("apa",)
    assert registered(audience=["https://api.example"]).audience == ("https://api.example",)


def test_the_sector_defaults_to_the_client_id() -> None:
    assert registered().sector_identifier == "apa"
    assert registered(sector_identifier="apa.example").sector_identifier == "apa.example"
