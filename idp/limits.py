"""Size and character limits on what strangers send, in one place.

Everything here is checked before authentication, so an anonymous request can neither fill
the database (issue 10, finding 7) nor reach it with a value it refuses (finding 8: PostgreSQL
rejects NUL in text). Two layers use these rules:

- ``idp/web/middleware/request_limits.py`` refuses, before any handler, a body or query string
  over its size, a multipart body, and any query or form parameter that holds a control
  character or is longer than ``MAX_PARAMETER_CHARS``;
- ``idp/oidc/authorization.py`` applies the tighter per-parameter limits of the authorization
  request (``AUTHORIZATION_PARAMETER_CHARS``), whose parameters are stored in the browser
  session while the user logs in, and refuses them with the protocol's ``invalid_request``.

FranceConnect (/work/shared/FEDERATION.md) asks for ``state`` and ``nonce`` of at least 22
characters and sends 32; it publishes no maximum, so ours leave room for every client we know.
"""

from __future__ import annotations

import re
from typing import TypeGuard

# Bodies and query strings -------------------------------------------------------------------

# Every form of the hub and every token, introspection or revocation request fits in a few KB
# (a private_key_jwt client assertion is the largest: ~1-2 KB). Above this: 413.
MAX_BODY_BYTES = 64 * 1024
# An authorization request with every parameter at its limit below is under 8 KB, the request
# line limit of common proxies (nginx large_client_header_buffers). Above this: 414.
MAX_QUERY_BYTES = 8 * 1024
# Parameters in one query string or form (the largest legitimate one has about 15).
MAX_PARAMETERS = 64
# Any single parameter of any endpoint (passwords are cut shorter by their own pages).
MAX_PARAMETER_CHARS = 8 * 1024

# The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1) -------------------------------

AUTHORIZATION_PARAMETER_CHARS: dict[str, int] = {
    "response_type": 64,
    "response_mode": 32,
    "client_id": 255,
    # Compared with the registered URIs (exact match); browsers handle URLs up to ~2 KB.
    "redirect_uri": 2048,
    "scope": 1024,
    # Echoed to the client; FranceConnect's 22-character minimum, room for signed states.
    "state": 1024,
    # Copied into the ID token.
    "nonce": 512,
    # RFC 7636 §4.2: S256 gives 43 characters; the verifier is 43-128.
    "code_challenge": 128,
    "code_challenge_method": 16,
    "prompt": 64,
    "max_age": 16,
    "display": 16,
    "ui_locales": 128,
    "claims_locales": 128,
    "acr_values": 512,
    "login_hint": 256,
    # One of our ID tokens is ~1.5 KB (RS256 signature, ~15 claims).
    "id_token_hint": 4096,
    # OIDC Core §5.5: a JSON object naming claims; ours are a few dozen.
    "claims": 2048,
}
# Parameters the hub does not know are kept (and stored) only this long.
OTHER_AUTHORIZATION_PARAMETER_CHARS = 256
# All names and values of one authorization request together: this bounds the session row an
# anonymous request creates (the pending request, a CSRF token and ids: under 8 KB).
MAX_AUTHORIZATION_REQUEST_CHARS = 6 * 1024

# All the authorization requests one browser session holds while their user logs in (ten
# ordinary requests of ~500 characters fit): the oldest are dropped beyond this.
MAX_PENDING_REQUESTS_CHARS = 8 * 1024

# RFC 6749 §3.1.1: response-type = response-name *( SP response-name ),
# response-name = 1*response-char, response-char = "_" / DIGIT / ALPHA.
RESPONSE_TYPE = re.compile(r"[A-Za-z0-9_]+( [A-Za-z0-9_]+)*")
# RFC 3986 §2: the characters of a URI (an IRI must be sent percent-encoded).
URI = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
SYNTAX = {"response_type": RESPONSE_TYPE, "redirect_uri": URI,
          "post_logout_redirect_uri": URI}

# C0 controls but tab, line feed and carriage return (a textarea sends those), and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(value: str) -> bool:
    return _CONTROL.search(value) is not None


def parameter_problem(name: str, value: str) -> str | None:
    """Why a query or form parameter of any endpoint is refused, or None."""
    if has_control_characters(name) or has_control_characters(value):
        return f"Parameter {printable_name(name)} contains a control character."
    if len(name) > MAX_PARAMETER_CHARS or len(value) > MAX_PARAMETER_CHARS:
        return f"Parameter {printable_name(name)} is longer than {MAX_PARAMETER_CHARS} characters."
    return None


def authorization_request_problem(items: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(parameter, reason) for the first authorization parameter over its limit or out of its
    syntax, or None. The reason is plain ASCII without quotes or backslashes, so it can be an
    error_description (RFC 6749 §4.1.2.1: %x20-21 / %x23-5B / %x5D-7E)."""
    problem = authorization_limit_problem(items)
    if problem is None:
        return None
    return problem[0], limit_description(*problem)


def limit_description(name: str, reason: str) -> str:
    """The error_description of a problem of authorization_limit_problem."""
    return f"Parameter {printable_name(name)} is {reason}." if name else f"The request's {reason}."


def authorization_limit_problem(items: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(parameter, short reason) for the first authorization parameter over its limit or out
    of its syntax, or None; the parameter is "" when the request as a whole is too long. The
    reason holds no value of the request, only the limit (for the developer's error page)."""
    total = 0
    for name, value in items:
        limit = AUTHORIZATION_PARAMETER_CHARS.get(name, OTHER_AUTHORIZATION_PARAMETER_CHARS)
        if len(value) > limit:
            return name, f"longer than {limit} characters"
        syntax = SYNTAX.get(name)
        if syntax is not None and value and not syntax.fullmatch(value):
            return name, "contains characters it may not hold"
        total += len(name) + len(value)
    if total > MAX_AUTHORIZATION_REQUEST_CHARS:
        return "", (f"parameters are longer than {MAX_AUTHORIZATION_REQUEST_CHARS} "
                    "characters in all")
    return None


def is_clean_identifier(value: str | None, limit: int = 255) -> TypeGuard[str]:
    """A client id, username or session id we may look up: bounded, no control character
    (they arrive also inside Basic credentials, JWT claims and cookies, past the parameter
    checks)."""
    if not value:
        return False
    return len(value) <= limit and not has_control_characters(value)


def printable_name(name: str) -> str:
    """A parameter name safe to quote in an error description (RFC 6749 §4.1.2.1)."""
    safe = "".join(c for c in name[:40] if c.isascii() and c.isprintable() and c not in '"\\')
    return safe or "(unnamed)"
