"""Checks of what an FI signs: the ID token (OIDC Core §3.1.3.7, in the order of its steps)
and a signed userinfo answer (§5.3.2). Only asymmetric signatures are accepted: `none` and
the HMAC algorithms are refused before any key is looked at, so an FI's public key can never
serve as an HMAC secret."""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Callable, Sequence
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey

from idp.federation.errors import InsufficientAcr, IssuerMismatch, TokenInvalid
from idp.federation.metadata import AsymmetricKey

CLOCK_SKEW = 300  # seconds of disagreement tolerated between our clock and the FI's
# The eIDAS levels of assurance, lowest first (FranceConnect's acr values).
ACR_ORDER = ("eidas1", "eidas2", "eidas3")
ASYMMETRIC_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                   "ES256", "ES384", "ES512", "EdDSA")
_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}

KeysSource = Callable[[], list[AsymmetricKey]]
KeysRefetch = Callable[[], list[AsymmetricKey] | None]


def _segment(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def read_header(raw: str, what: str) -> dict[str, Any]:
    parts = raw.split(".")
    if len(parts) == 5:
        raise TokenInvalid(f"{what}: encrypted (JWE) tokens are not accepted")
    if len(parts) != 3:
        raise TokenInvalid(f"{what}: not a compact JWS")
    try:
        header = json.loads(_segment(parts[0]))
    except ValueError:
        raise TokenInvalid(f"{what}: unreadable header") from None
    if not isinstance(header, dict):
        raise TokenInvalid(f"{what}: unreadable header")
    return header


def _fits(key: AsymmetricKey, alg: str, kid: str | None) -> bool:
    if kid is not None and key.kid != kid:
        return False
    declared = key.get("alg") if hasattr(key, "get") else None
    if declared is not None and declared != alg:  # RFC 7517 §4.4: the key is for that alg only
        return False
    if alg.startswith(("RS", "PS")):
        return isinstance(key, RSAKey)
    if alg.startswith("ES"):
        return isinstance(key, ECKey) and key.curve_name == _CURVES[alg]
    return isinstance(key, OKPKey) and key.curve_name == "Ed25519"


def verify_signature(raw: str, what: str, keys: KeysSource,
                     refetch: KeysRefetch) -> dict[str, Any]:
    """The payload of a JWS signed by one of the FI's keys (OIDC Core §3.1.3.7 step 6, §10.1);
    an unknown `kid` gets the key set fetched again once (the FI rotated)."""
    header = read_header(raw, what)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise TokenInvalid(f"{what}: unsigned (alg none)")
    if alg.upper().startswith("HS"):
        raise TokenInvalid(f"{what}: symmetric algorithm {alg} refused")
    if alg not in ASYMMETRIC_ALGS:
        raise TokenInvalid(f"{what}: algorithm {alg} not accepted")
    if "crit" in header:  # RFC 7515 §4.1.11: we understand no extension
        raise TokenInvalid(f"{what}: critical header extension")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise TokenInvalid(f"{what}: kid is not a string")
    candidates = [k for k in keys() if _fits(k, alg, kid)]
    if not candidates and kid is not None:
        again = refetch()
        candidates = [k for k in again or [] if _fits(k, alg, kid)]
    if not candidates:
        shown = kid[:64] if kid is not None else None
        raise TokenInvalid(f"{what}: no key of the FI matches kid {shown!r} and alg {alg}")
    for key in candidates:
        try:
            payload = jws.deserialize_compact(raw, key, algorithms=[alg]).payload
        except JoseError:
            continue
        try:
            claims = json.loads(payload)
        except ValueError:
            raise TokenInvalid(f"{what}: payload is not JSON") from None
        if not isinstance(claims, dict):
            raise TokenInvalid(f"{what}: payload is not a JSON object")
        return claims
    raise TokenInvalid(f"{what}: bad signature")


def _int_claim(claims: dict[str, Any], name: str, required: bool) -> int | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise TokenInvalid(f"id_token: {name} missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenInvalid(f"id_token: {name} is not a number")
    return int(value)


def check_id_token_claims(claims: dict[str, Any], *, issuer: str, client_id: str, nonce: str,
                          acr_asked: Sequence[str], started_at: int, now: int) -> None:
    """OIDC Core §3.1.3.7, steps 2 to 12, on the verified claims of an ID token."""
    # Step 2: iss MUST exactly match the Issuer Identifier.
    if claims.get("iss") != issuer:
        raise IssuerMismatch("id_token: iss is not the FI's issuer")
    # Step 3: aud MUST contain our client_id; audiences we do not trust (any other) are refused.
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        raise TokenInvalid("id_token: aud missing or malformed")
    if client_id not in audiences:
        raise TokenInvalid("id_token: aud does not contain our client_id")
    if len(audiences) > 1:
        raise TokenInvalid("id_token: aud lists audiences we do not trust")
    # Steps 4-5: several audiences need azp; azp, when present, MUST be our client_id.
    azp = claims.get("azp")
    if (azp is not None or len(audiences) > 1) and azp != client_id:
        raise TokenInvalid("id_token: azp is not our client_id")
    # §2: sub is a locally unique identifier of at most 255 ASCII characters.
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255 or not sub.isascii():
        raise TokenInvalid("id_token: sub missing or malformed")
    # Step 9: the current time MUST be before exp (with a small leeway for clock skew).
    exp = _int_claim(claims, "exp", required=True)
    assert exp is not None
    if now >= exp + CLOCK_SKEW:
        raise TokenInvalid("id_token: expired")
    # Step 10: iat may reject tokens issued too far from now.
    iat = _int_claim(claims, "iat", required=True)
    assert iat is not None
    if iat > now + CLOCK_SKEW:
        raise TokenInvalid("id_token: iat in the future")
    if iat < now - CLOCK_SKEW:
        raise TokenInvalid("id_token: iat too old")
    # Step 11: the nonce sent MUST be the one in the ID token (replay of another login's token).
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(
            token_nonce.encode(), nonce.encode()):
        raise TokenInvalid("id_token: nonce mismatch")
    # Step 12: acr, when requested, is checked against what was asked.
    acr = claims.get("acr")
    if acr is not None and not isinstance(acr, str):
        raise TokenInvalid("id_token: acr is not a string")
    if not acr_satisfies(acr_asked, acr):
        raise InsufficientAcr(tuple(acr_asked), acr)
    # Step 13 (with §3.1.2.1 prompt=login): the FI MUST have authenticated the user again,
    # so an auth_time, when given, cannot precede our request.
    auth_time = _int_claim(claims, "auth_time", required=False)
    if auth_time is not None and auth_time < started_at - CLOCK_SKEW:
        raise TokenInvalid("id_token: auth_time before the request (prompt=login ignored)")
    amr = claims.get("amr")
    if amr is not None and (not isinstance(amr, list)
                            or not all(isinstance(m, str) for m in amr)):
        raise TokenInvalid("id_token: amr is not a list of strings")


def acr_satisfies(asked: Sequence[str], got: str | None) -> bool:
    """`got` is one of the levels asked, or a known level at least the lowest one asked."""
    if not asked:
        return True
    if got is None:
        return False
    if got in asked:
        return True
    levels = [ACR_ORDER.index(a) for a in asked if a in ACR_ORDER]
    return got in ACR_ORDER and bool(levels) and ACR_ORDER.index(got) >= min(levels)
