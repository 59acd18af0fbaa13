"""The hub's JWTs: access tokens (RFC 9068) verified strictly, ID tokens accepted back as
id_token_hint even when expired (OIDC Core §3.1.2.1)."""

from __future__ import annotations

import base64
import json

import pytest
from authlib.oidc.core.util import create_half_hash
from cryptography.hazmat.primitives.asymmetric import ec

from idp.clock import FrozenClock
from idp.oidc.jws import b64url, b64url_decode, sign_compact
from idp.oidc.keys import KeyStore
from idp.oidc.tokens import TokenService
from idp.settings import Settings

ISSUER = "https://idp.example.gouv.fr"
SETTINGS = Settings.from_env({}, issuer=ISSUER, access_token_ttl=600, id_token_ttl=600)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    """Shared by this module's tests, which never rotate it."""
    return KeyStore(tmp_path_factory.mktemp("keys"), FrozenClock(), 3600)


@pytest.fixture(scope="module")
def foreign_keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return KeyStore(tmp_path_factory.mktemp("foreign"), FrozenClock(), 3600)


@pytest.fixture
def tokens(keys: KeyStore, clock: FrozenClock) -> TokenService:
    return TokenService(SETTINGS, keys, clock)


def header(token: str) -> dict:
    return json.loads(b64url_decode(token.split(".")[0].encode()))


def access_token(tokens: TokenService) -> tuple[str, dict]:
    return tokens.access_token(client_id="apa", audience=("apa",), scope="openid email",
                               subject="sub-1", grant_id="g1", auth_time=tokens.clock.now(),
                               acr="eidas1", amr=["pwd"])


def id_token(tokens: TokenService, alg: str = "RS256") -> str:
    return tokens.id_token(client_id="apa", alg=alg, subject="sub-1",
                           auth_time=tokens.clock.now(), access_token=None, nonce="n-1",
                           acr="eidas1", amr=["pwd"], sid="sid-1", extra={})


# Access tokens --------------------------------------------------------------------------------


def test_an_access_token_is_typed_at_jwt_and_signed_with_the_configured_key(
    tokens: TokenService, keys: KeyStore,
) -> None:
    token, _ = access_token(tokens)
    assert header(token) == {"alg": "ES256", "kid": keys.current("ES256").kid, "typ": "at+jwt"}


def test_an_access_token_carries_the_rfc_9068_claims(tokens: TokenService) -> None:
    now = tokens.clock.now()
    _, claims = access_token(tokens)
    assert {k: claims[k] for k in ("iss", "aud", "sub", "client_id", "iat", "exp", "scope")} == {
        "iss": ISSUER, "aud": "apa", "sub": "sub-1", "client_id": "apa", "iat": now,
        "exp": now + 600, "scope": "openid email"}
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16


def test_an_access_token_of_ours_verifies_to_its_claims(tokens: TokenService) -> None:
    token, claims = access_token(tokens)
    assert tokens.verify_access_token(token) == claims


def test_an_expired_access_token_is_refused(tokens: TokenService, clock: FrozenClock) -> None:
    token, _ = access_token(tokens)
    assert tokens.verify_access_token(token) is not None  # remembered as verified...
    clock.advance(600)
    assert tokens.verify_access_token(token) is None  # ...yet expiry is checked every time


def test_an_id_token_presented_as_an_access_token_is_refused(tokens: TokenService) -> None:
    token = id_token(tokens, alg="ES256")
    assert header(token)["typ"] == "JWT"
    assert tokens.verify_access_token(token) is None


def test_a_logout_token_presented_as_an_access_token_is_refused(tokens: TokenService) -> None:
    token = tokens.logout_token(client_id="apa", subject="sub-1", sid="sid-1")
    assert tokens.verify_access_token(token) is None


def test_a_token_signed_by_a_foreign_key_is_refused(
    tokens: TokenService, foreign_keys: KeyStore, clock: FrozenClock,
) -> None:
    foreign, _ = access_token(TokenService(SETTINGS, foreign_keys, clock))
    assert tokens.verify_access_token(foreign) is None


def test_a_token_signed_by_a_foreign_key_under_our_kid_is_refused(
    tokens: TokenService, keys: KeyStore,
) -> None:
    genuine, claims = access_token(tokens)
    forged = sign_compact(claims, "ES256", keys.current("ES256").kid, "at+jwt",
                          ec.generate_private_key(ec.SECP256R1()))
    assert forged != genuine and tokens.verify_access_token(forged) is None


def test_a_token_whose_header_names_another_algorithm_is_refused(
    tokens: TokenService, keys: KeyStore,
) -> None:
    token, _ = access_token(tokens)
    _, payload, signature = token.split(".")
    rs_header = b64url(json.dumps({"alg": "RS256", "kid": keys.current("ES256").kid,
                                   "typ": "at+jwt"}).encode()).decode()
    none_header = b64url(json.dumps({"alg": "none", "kid": keys.current("ES256").kid,
                                     "typ": "at+jwt"}).encode()).decode()
    assert tokens.verify_access_token(f"{rs_header}.{payload}.{signature}") is None
    assert tokens.verify_access_token(f"{none_header}.{payload}.") is None


def test_a_token_of_another_issuer_is_refused(keys: KeyStore, clock: FrozenClock) -> None:
    other = TokenService(SETTINGS.replace(issuer="https://other.example"), keys, clock)
    token, _ = access_token(other)
    assert TokenService(SETTINGS, keys, clock).verify_access_token(token) is None


def test_a_tampered_access_token_is_refused(tokens: TokenService) -> None:
    token, claims = access_token(tokens)
    head, _, signature = token.split(".")
    payload = b64url(json.dumps(dict(claims, scope="openid admin")).encode()).decode()
    assert tokens.verify_access_token(f"{head}.{payload}.{signature}") is None


@pytest.mark.parametrize("garbage", ["", "a.b", "a.b.c", "....", "x" * 9000 + ".a.b"])
def test_malformed_access_tokens_are_refused(tokens: TokenService, garbage: str) -> None:
    assert tokens.verify_access_token(garbage) is None


def test_a_deeply_nested_header_is_refused_not_a_server_error(tokens: TokenService) -> None:
    nested = base64.urlsafe_b64encode(b"[" * 3000).rstrip(b"=").decode()
    assert tokens.verify_access_token(f"{nested}.e30.AAAA") is None
    assert tokens.verify_id_token_hint(f"{nested}.e30.AAAA") is None


# id_token_hint ----------------------------------------------------------------------------------


def test_an_id_token_is_typed_jwt_and_signed_with_the_requested_algorithm(
    tokens: TokenService, keys: KeyStore,
) -> None:
    assert header(id_token(tokens, "RS256"))["kid"] == keys.current("RS256").kid
    assert header(id_token(tokens, "ES256")) == {
        "alg": "ES256", "kid": keys.current("ES256").kid, "typ": "JWT"}


def test_an_expired_id_token_is_accepted_as_id_token_hint(
    tokens: TokenService, clock: FrozenClock,
) -> None:
    token = id_token(tokens)
    clock.advance(10 * 86400)
    claims = tokens.verify_id_token_hint(token)
    assert claims is not None and claims["sub"] == "sub-1" and claims["exp"] < clock.now()


def test_an_access_token_is_not_accepted_as_id_token_hint(tokens: TokenService) -> None:
    token, _ = access_token(tokens)
    assert tokens.verify_id_token_hint(token) is None


def test_an_id_token_of_another_issuer_is_not_accepted_as_hint(
    keys: KeyStore, clock: FrozenClock,
) -> None:
    other = TokenService(SETTINGS.replace(issuer="https://other.example"), keys, clock)
    assert TokenService(SETTINGS, keys, clock).verify_id_token_hint(id_token(other)) is None


def test_an_id_token_of_a_foreign_key_is_not_accepted_as_hint(
    tokens: TokenService, foreign_keys: KeyStore, clock: FrozenClock,
) -> None:
    foreign = id_token(TokenService(SETTINGS, foreign_keys, clock))
    assert tokens.verify_id_token_hint(foreign) is None


def test_the_id_token_binds_the_access_token_by_at_hash(tokens: TokenService) -> None:
    access, _ = access_token(tokens)
    token = tokens.id_token(client_id="apa", alg="RS256", subject="sub-1", auth_time=1,
                            access_token=access, nonce=None, acr=None, amr=None, sid=None,
                            extra={"email": "camille@example.test"})
    claims = tokens.verify_id_token_hint(token)
    assert claims is not None
    assert claims["at_hash"] == create_half_hash(access, "RS256").decode()
    assert claims["email"] == "camille@example.test" and "nonce" not in claims


def test_a_fresh_token_service_verifies_tokens_of_another_instance(
    tokens: TokenService, keys: KeyStore, clock: FrozenClock,
) -> None:
    token, claims = access_token(tokens)
    assert TokenService(SETTINGS, keys, clock).verify_access_token(token) == claims
