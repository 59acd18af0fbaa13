"""RFC 7636 PKCE, as RFC 9700 §2.1.1 wants it: required for every client, S256 only.

authlib's CodeChallenge accepts `plain` by default and compares with `==`; this subclass
accepts only S256 and compares in constant time:
BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge (RFC 7636 §4.6).
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge, create_s256_code_challenge

if TYPE_CHECKING:
    from idp.oidc.grants.authorization_code import AuthorizationCodeGrant


def s256_matches(code_verifier: str, code_challenge: str) -> bool:
    return hmac.compare_digest(
        create_s256_code_challenge(code_verifier).encode(), code_challenge.encode()
    )


class S256CodeChallenge(CodeChallenge):
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": s256_matches}

    def __init__(self) -> None:
        super().__init__(required=True)

    def validate_code_challenge(self, grant: AuthorizationCodeGrant,
                                redirect_uri: str | None) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: missing 'code_challenge'.")
        if data.get("code_challenge_method") != "S256":
            # RFC 7636 §4.3: an absent method means `plain`, which we refuse.
            raise InvalidRequestError("'code_challenge_method' must be 'S256'.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: AuthorizationCodeGrant, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)
