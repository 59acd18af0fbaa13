"""Compact JWS signing of the hub's own tokens (RFC 7515 §3.1, §5.1), the hot path.

Verification, and everything received from outside, stays with joserfc. Signing what we
build ourselves is short: BASE64URL(header) '.' BASE64URL(payload), signed with the key;
ES256 signatures are R || S, 32 bytes each (RFC 7518 §3.4), RS256 is RSASSA-PKCS1-v1_5 with
SHA-256 (RFC 7518 §3.3). The header encoding is cached per key and type. Measured against
joserfc.jwt.encode on this machine: ~3x faster (bench/README.md); tests verify every token
signed here with joserfc.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

_SHA256 = hashes.SHA256()
_ECDSA_SHA256 = ec.ECDSA(_SHA256)
_PKCS1 = padding.PKCS1v15()


def b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@lru_cache(maxsize=64)
def _encoded_header(alg: str, kid: str, typ: str) -> bytes:
    return b64url(json.dumps({"alg": alg, "kid": kid, "typ": typ},
                             separators=(",", ":")).encode())


def sign_compact(
    claims: dict[str, Any], alg: str, kid: str, typ: str,
    private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
) -> str:
    payload = b64url(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    signing_input = _encoded_header(alg, kid, typ) + b"." + payload
    if alg == "ES256":
        assert isinstance(private_key, ec.EllipticCurvePrivateKey)
        r, s = decode_dss_signature(private_key.sign(signing_input, _ECDSA_SHA256))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    elif alg == "RS256":
        assert isinstance(private_key, rsa.RSAPrivateKey)
        signature = private_key.sign(signing_input, _PKCS1, _SHA256)
    else:
        raise ValueError(f"unsupported algorithm {alg}")
    return (signing_input + b"." + b64url(signature)).decode("ascii")
