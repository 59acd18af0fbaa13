"""Our compact JWS signer produces tokens joserfc verifies (RFC 7515, RFC 7518 §3.3-3.4)."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from idp.oidc.jws import sign_compact


@pytest.mark.parametrize(("alg", "key"), [("ES256", ECKey.generate_key("P-256")),
                                          ("RS256", RSAKey.generate_key(2048))])
def test_signed_tokens_verify_with_joserfc(alg: str, key) -> None:  # type: ignore[no-untyped-def]
    claims = {"iss": "https://idp.example", "sub": "é-ü", "n": 1, "l": ["a"]}
    token = sign_compact(claims, alg, "kid-1", "at+jwt", key.private_key)
    decoded = jwt.decode(token, key, algorithms=[alg])
    assert decoded.claims == claims
    assert decoded.header == {"alg": alg, "kid": "kid-1", "typ": "at+jwt"}


def test_a_token_signed_by_another_key_does_not_verify() -> None:
    signer, other = ECKey.generate_key("P-256"), ECKey.generate_key("P-256")
    token = sign_compact({"a": 1}, "ES256", "k", "JWT", signer.private_key)
    with pytest.raises(Exception):  # noqa: B017 - joserfc raises BadSignatureError
        jwt.decode(token, other, algorithms=["ES256"])


def test_unsupported_algorithm_is_refused() -> None:
    with pytest.raises(ValueError):
        sign_compact({}, "HS256", "k", "JWT", ECKey.generate_key("P-256").private_key)
