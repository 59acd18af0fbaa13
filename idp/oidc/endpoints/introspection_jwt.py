"""Signed introspection answers (RFC 9701) and what a resource service may see in them.

When the answer is signed: the resource service registered `introspection_signed_response_alg`
(RFC 9701 §6: every answer to it is signed), or its request's Accept header names
`application/token-introspection+jwt` (§4; RS256, the default of §6). Otherwise the answer
is RFC 7662's JSON, unchanged.

What a signed answer shows of an active token (`narrowed_answer`):
- `scope`: the token's scopes that are also among the service's registered scopes; a token
  with none of them is not meant for this service and is answered `{"active": false}`;
- `sub`: for a token naming an account, the subject that account has for this service —
  public, or pairwise for the service's sector (OIDC Core §8), the one the service would find
  in its own ID tokens; a client's own token (client_credentials) keeps its client_id;
- an account gone or disabled: `{"active": false}`;
- the other RFC 7662 members (client_id, aud, iss, exp, iat, jti, acr, auth_time) as in JSON.
"""

from __future__ import annotations

from typing import Any

INTROSPECTION_JWT = "application/token-introspection+jwt"
DEFAULT_ALG = "RS256"  # RFC 9701 §6


def signed_answer_alg(registered_alg: str | None, accept: str | None) -> str | None:
    """The algorithm of a signed answer, or None for JSON."""
    if registered_alg:
        return registered_alg
    # Media types are case-insensitive (RFC 9110 §8.3.1); the substring test spares the
    # JSON path the parsing.
    if accept and "introspection+jwt" in accept.lower() and accepts(accept, INTROSPECTION_JWT):
        return DEFAULT_ALG
    return None


def accepts(accept: str, media_type: str) -> bool:
    """Whether an Accept header (RFC 9110 §12.5.1) lists `media_type` with a weight above 0."""
    for item in accept.split(","):
        kind, _, params = item.partition(";")
        if kind.strip().lower() != media_type:
            continue
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    return float(value) > 0
                except ValueError:
                    return False
        return True
    return False


def narrowed_answer(
    answer: dict[str, Any], service_scopes: tuple[str, ...], subject: str | None
) -> dict[str, Any]:
    """The active answer as the service may see it; `subject` is the account's subject for
    the service, None for a token naming no account."""
    allowed = set(service_scopes)
    scope = " ".join(s for s in answer.get("scope", "").split() if s in allowed)
    if not scope:
        return {"active": False}
    narrowed = dict(answer, scope=scope)
    if subject is not None:
        narrowed["sub"] = subject
    return narrowed
