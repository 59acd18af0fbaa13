"""Why an authorization request is refused, told to the developer who sent it.

A refusal names the faulty parameter from a fixed vocabulary (the protocol's names, never a
name the request made up) and a reason written here, never a value of the request: the error
page may be shown to anyone who follows a crafted link, so it reflects nothing, and it never
tells a registered redirect URI (a stranger could otherwise read a client's callbacks by
sending a wrong one). The refusal is logged (logger ``idp.authorize``, one line) and audited
(``authorize.refused``); the log and the audit hold at most a short, cleaned excerpt of the
value of a few harmless parameters (``EXCERPTED``), never of state, nonce, code_challenge,
login_hint or id_token_hint.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from idp.limits import AUTHORIZATION_PARAMETER_CHARS
from idp.oidc.errors import (
    ConsentRequiredError,
    InteractionRequiredError,
    InvalidScopeError,
    LoginRequiredError,
    OAuth2Error,
    RequestNotSupportedError,
    RequestUriNotSupportedError,
    UnauthorizedClientError,
    UnmetAuthenticationRequirementsError,
    UnsupportedResponseTypeError,
)

if TYPE_CHECKING:
    from idp.oidc.server import HubAuthorizationServer, HubOAuth2Request

log = logging.getLogger("idp.authorize")

# The names a refusal may quote: the authorization request's (OIDC Core §3.1.2.1, RFC 7636).
PARAMETERS = frozenset(AUTHORIZATION_PARAMETER_CHARS) | {"request", "request_uri"}
# Parameters whose value may be quoted, shortened, in the log and the audit trail: the
# client's own identifiers and switches. The others are secrets of the client's session
# (state, nonce, code_challenge), personal data (login_hint) or tokens (id_token_hint).
EXCERPTED = frozenset({"client_id", "redirect_uri", "response_type", "response_mode", "scope",
                       "prompt", "code_challenge_method", "max_age", "display", "ui_locales",
                       "claims_locales", "acr_values"})
EXCERPT_CHARS = 40
# Parameters that must not be repeated (RFC 6749 §3.1): every one the hub reads.
SINGLE = PARAMETERS
# Answers to prompt=none and the like: the protocol's "not without the user", not a fault of
# the request. Logged at INFO, not audited (a page checking the session silently would fill
# the trail).
INTERACTION_ERRORS = frozenset({"login_required", "consent_required", "interaction_required",
                                "account_selection_required"})


@dataclass(frozen=True)
class Refusal:
    error: str
    parameter: str  # one of PARAMETERS, or "" (the request as a whole, another parameter)
    reason: str  # written here: no value of the request

    @property
    def detail(self) -> str:
        return f"{self.parameter}: {self.reason}" if self.parameter else self.reason


def shown_parameter(name: str) -> str:
    return name if name in PARAMETERS else ""


def untrusted_redirect_refusal(server: HubAuthorizationServer,
                               request: HubOAuth2Request) -> Refusal | None:
    """The refusals that cannot be redirected (RFC 6749 §4.1.2.1: missing or unknown
    client_id; missing, invalid or mismatching redirect_uri), and repeated parameters
    (RFC 6749 §3.1), which make the request ambiguous: checked before authlib so each names
    its parameter. Whatever is wrong, the registered URIs are never told."""
    datalist = request.payload.datalist
    for name in ("client_id", "redirect_uri", *sorted(SINGLE - {"client_id", "redirect_uri"})):
        if len(datalist.get(name, [])) > 1:
            return Refusal("invalid_request", name, "duplicated parameter")
    client_id = request.payload.client_id
    if not client_id:
        return Refusal("invalid_client", "client_id", "missing")
    client = server.query_client(client_id)
    if client is None:
        return Refusal("invalid_client", "client_id", "unknown")
    redirect_uri = request.payload.redirect_uri
    if not redirect_uri:
        return Refusal("invalid_request", "redirect_uri", "missing (OIDC Core 3.1.2.1)")
    if not client.check_redirect_uri(redirect_uri):
        return Refusal("invalid_request", "redirect_uri",
                       "not registered for this client (exact match)")
    return None


def refusal_of(error: OAuth2Error) -> Refusal:
    """The parameter an OAuth2Error is about: set by the raiser (``about``) or known from
    its type; the reason is its description, a text of ours or authlib's."""
    description = _REASON_OF_TYPE.get(type(error)) or error.get_error_description() or \
        error.error or ""
    parameter = (getattr(error, "parameter", None) or _PARAMETER_OF_TYPE.get(type(error))
                 or next((n for m in _QUOTED.finditer(description) for n in m.groups()
                          if n in PARAMETERS), ""))
    return Refusal(error.error or "invalid_request", parameter, description.rstrip("."))


def about(error: OAuth2Error, parameter: str) -> OAuth2Error:
    """Mark the parameter `error` is about (for refusal_of)."""
    error.parameter = parameter
    return error


def named_description(refusal: Refusal) -> str:
    """The error_description sent back to the client: names the parameter (RFC 6749
    §4.1.2.1 allows any of %x20-21 / %x23-5B / %x5D-7E; ours are ASCII without quotes)."""
    reason = refusal.reason
    if refusal.parameter and refusal.parameter not in reason:
        return f"{refusal.parameter}: {reason}."
    return reason if reason.endswith(".") else reason + "."


def report(server: HubAuthorizationServer, request: HubOAuth2Request, refusal: Refusal) -> None:
    """One log line and one audit event per refused authorization request."""
    client = server.query_client(request.payload.client_id) if request.payload.client_id else None
    client_id = client.client_id if client is not None else None
    values = request.payload.datalist.get(refusal.parameter) or [""]
    sent = excerpt(values[0]) if refusal.parameter in EXCERPTED else None
    interaction = refusal.error in INTERACTION_ERRORS
    log.log(logging.INFO if interaction else logging.WARNING,
            "authorization request refused: client_id=%s error=%s parameter=%s reason=%s%s",
            client_id or "-", refusal.error, refusal.parameter or "-", refusal.reason,
            "" if sent is None else f" sent='{sent}'",
            extra={"event": "authorize.refused", "client_id": client_id,
                   "error": refusal.error, "parameter": refusal.parameter,
                   "reason": refusal.reason})
    if not interaction:
        server.rt.audit.record("authorize.refused", client_id=client_id,
                               ip=request.remote_addr, error=refusal.error,
                               parameter=refusal.parameter, reason=refusal.reason, sent=sent)


def excerpt(value: str) -> str:
    """At most EXCERPT_CHARS printable ASCII characters of `value`, quotes, backslashes and
    markup replaced, "..." when cut: safe in one log line, an audit column, a log viewer."""
    cleaned = "".join(c if c.isascii() and c.isprintable() and c not in "'\"\\<>&" else "?"
                      for c in value[:EXCERPT_CHARS])
    return cleaned + ("..." if len(value) > EXCERPT_CHARS else "")


# A parameter our descriptions quote: 'max_age' must..., Only response_mode=query...
_QUOTED = re.compile(r"'([a-z_]+)'|\b([a-z_]+)=")
# authlib's descriptions of these quote the value sent: ours do not.
_REASON_OF_TYPE: dict[type[OAuth2Error], str] = {
    UnsupportedResponseTypeError: "not supported (only code)",
    UnauthorizedClientError: "not allowed for this client (authorization_code grant)",
}
_PARAMETER_OF_TYPE: dict[type[OAuth2Error], str] = {
    UnsupportedResponseTypeError: "response_type",
    UnauthorizedClientError: "response_type",
    InvalidScopeError: "scope",
    RequestNotSupportedError: "request",
    RequestUriNotSupportedError: "request_uri",
    UnmetAuthenticationRequirementsError: "acr_values",
    LoginRequiredError: "prompt",
    ConsentRequiredError: "prompt",
    InteractionRequiredError: "prompt",
}
