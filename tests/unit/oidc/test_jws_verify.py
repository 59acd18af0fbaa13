"""Verification of our own compact JWS: every way to tamper with a token is refused."""

from __future__ import annotations

import base64
import json

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from idp.oidc.jws import sign_compact, verify_compact

EC = ECKey.generate_key("P-256")
RSA = RSAKey.generate_key(2048)
KEYS = {"ec": ("ES256", EC.public_key), "rsa": ("RS256", RSA.public_key)}


def lookup(kid: str):  # type: ignore[no-untyped-def]
    return KEYS.get(kid)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(("kid", "alg", "key"), [("ec", "ES256", EC), ("rsa", "RS256", RSA)])
def test_our_tokens_and_joserfc_tokens_verify(kid: str, alg: str, key) -> None:  # type: ignore[no-untyped-def]
    ours = sign_compact({"a": 1}, alg, kid, "JWT", key.private_key)
    theirs = jwt.encode({"alg": alg, "kid": kid}, {"a": 1}, key, algorithms=[alg])
    assert verify_compact(ours, lookup)[1] == {"a": 1}  # type: ignore[index]
    assert verify_compact(theirs, lookup)[1] == {"a": 1}  # type: ignore[index]


def test_tampered_payload_is_refused() -> None:
    header, _, signature = sign_compact({"sub": "a"}, "ES256", "ec", "JWT",
                                        EC.private_key).split(".")
    assert verify_compact(f"{header}.{b64({'sub': 'admin'})}.{signature}", lookup) is None


def test_unknown_kid_is_refused() -> None:
    token = sign_compact({}, "ES256", "other", "JWT", EC.private_key)
    assert verify_compact(token, lookup) is None


def test_algorithm_must_be_the_keys_algorithm() -> None:
    # An RS256 header naming the EC key's kid, and alg "none", are both refused.
    forged = sign_compact({}, "RS256", "ec", "JWT", RSA.private_key)
    assert verify_compact(forged, lookup) is None
    header = b64({"alg": "none", "kid": "ec"})
    assert verify_compact(f"{header}.{b64({})}.", lookup) is None


def test_hmac_with_the_public_key_as_secret_is_refused() -> None:
    secret = OctKey.import_key(b"public key bytes")
    token = jwt.encode({"alg": "HS256", "kid": "ec"}, {}, secret, algorithms=["HS256"])
    assert verify_compact(token, lookup) is None


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c.d", "!!.!!.!!", "é.é.é",
                                   "eyJhbGciOiJFUzI1NiJ9.e30.AAAA"])
def test_malformed_tokens_are_refused(token: str) -> None:
    assert verify_compact(token, lookup) is None


def test_non_base64url_characters_in_the_signature_are_refused() -> None:
    token = sign_compact({}, "ES256", "ec", "JWT", EC.private_key)
    assert verify_compact(token + "=", lookup) is None
    assert verify_compact(token[:-2] + "+/", lookup) is None
