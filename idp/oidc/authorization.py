"""The authorization endpoint's decision (RFC 6749 §4.1.1-4.1.2, OIDC Core §3.1.2).

``decide`` validates the request with authlib, runs our checks in order, and returns what
the page layer must do: redirect to the client (a code or an error, always with `iss`,
RFC 9207), show an error page (the redirect URI cannot be trusted), ask for a login, ask
for consent, or refuse with a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from idp.limits import authorization_limit_problem, limit_description
from idp.oidc.checks import (
    AUTHORIZATION_CHECKS,
    Authn,
    AuthorizationContext,
    NeedConsent,
    NeedLogin,
    Refuse,
)
from idp.oidc.errors import AccessDeniedError, InvalidRequestError, OAuth2Error
from idp.oidc.extensions.iss import add_issuer
from idp.oidc.refusals import (
    Refusal,
    named_description,
    refusal_of,
    report,
    shown_parameter,
    untrusted_redirect_refusal,
)
from idp.storage.repositories import consents as consents_repo

if TYPE_CHECKING:
    from idp.oidc.server import HubAuthorizationServer, HubOAuth2Request
# The page accepted (explicit) or seen (information), recorded with what it remembers.
PAGE_EVENTS = {"explicit": "consent.given", "information": "information.shown"}
# A code issued to a client: a transfer of data, named after what the person saw before it
# (FranceConnect's FC_DATATRANSFER_CONSENT_IDENTITY / _INFORMATION_IDENTITY).
TRANSFER_EVENTS = {"explicit": "data_transfer_consent",
                   "information": "data_transfer_information",
                   "none": "data_transfer"}


@dataclass(frozen=True)
class RedirectToClient:
    location: str


@dataclass(frozen=True)
class ErrorPage:
    """An error that must not be redirected: unknown client or unregistered redirect URI."""

    error: str
    description: str
    # For the developer: the parameter (a protocol name) and why, no value of the request.
    detail: str


Outcome = RedirectToClient | ErrorPage | NeedLogin | NeedConsent | Refuse


def decide(
    server: HubAuthorizationServer, request: HubOAuth2Request, authn: Authn, started_at: int,
    consent_given: bool = False,
) -> Outcome:
    request.user = authn.account
    problem = authorization_limit_problem(request.payload.datalist_items())
    if problem is not None:
        return _refuse_parameter(server, request, *problem)
    refusal = untrusted_redirect_refusal(server, request)
    if refusal is not None:
        report(server, request, refusal)
        return ErrorPage(refusal.error, named_description(refusal), refusal.detail)
    try:
        grant = server.get_consent_grant(request, end_user=authn.account)
    except OAuth2Error as error:
        return _refused(server, request, error)
    ctx = AuthorizationContext(
        server=server,
        request=request,
        client=request.client,
        authn=authn,
        now=server.rt.clock.now(),
        started_at=started_at,
        consent_given=consent_given,
    )
    try:
        for check in AUTHORIZATION_CHECKS:
            outcome = check(ctx)
            if isinstance(outcome, Refuse):
                report(server, request, Refusal(outcome.reason, "", "refused by the "
                                                "client's access rule"))
            if outcome is not None:
                return outcome
    except OAuth2Error as error:
        error.redirect_uri = grant.redirect_uri
        error.state = request.payload.state
        return _refused(server, request, error)

    rt = server.rt
    if consent_given and ctx.disclosure_mode in PAGE_EVENTS:
        assert authn.account is not None  # the consent form is shown to a logged-in user
        with rt.db.transaction() as s:
            consents_repo.remember_consent(
                s, authn.account.id, ctx.client.client_id, set(request.scope.split()), ctx.now,
                claims=set(ctx.released_claims), mode=ctx.disclosure_mode,
            )
            rt.audit.write(s, PAGE_EVENTS[ctx.disclosure_mode], account_id=authn.account.id,
                           client_id=ctx.client.client_id, ip=request.remote_addr,
                           fi=authn.fi, scope=request.scope, claims=list(ctx.released_claims))
    request.authn = authn
    request.claims_param = ctx.claims
    _, _, headers = server.create_authorization_response(
        request, grant_user=authn.account, grant=grant
    )
    location = dict(headers).get("Location")
    if location is None:  # pragma: no cover - authlib always redirects here
        return ErrorPage("server_error", "No redirect produced.", "")
    # Each transfer is an event of the person's history: names of the claims, never values.
    assert authn.account is not None  # a code is issued to a logged-in user only
    rt.audit.record(TRANSFER_EVENTS[ctx.disclosure_mode], account_id=authn.account.id,
                    client_id=ctx.client.client_id, ip=request.remote_addr, fi=authn.fi,
                    acr=authn.acr, scope=request.scope, claims=list(ctx.released_claims),
                    page_shown=consent_given)
    return RedirectToClient(add_issuer(location, rt.settings.issuer))


def deny(server: HubAuthorizationServer, request: HubOAuth2Request, authn: Authn) -> Outcome:
    """The user refused consent: access_denied to the (validated) redirect URI."""
    request.user = authn.account
    try:
        grant = server.get_consent_grant(request, end_user=authn.account)
    except OAuth2Error as error:
        return _refused(server, request, error)
    server.rt.audit.record("consent.refused", account_id=getattr(authn.account, "id", None),
                           client_id=request.client.client_id, ip=request.remote_addr)
    denied = AccessDeniedError(redirect_uri=grant.redirect_uri, state=request.payload.state)
    return _error_outcome(server, denied)


def _refuse_parameter(server: HubAuthorizationServer, request: HubOAuth2Request, name: str,
                      reason: str) -> Outcome:
    """A parameter over its limit or out of its syntax (idp/limits.py), checked before authlib
    reads any of them: invalid_request, redirected only when the client and its redirect
    URI are themselves valid and registered (RFC 6749 §4.1.2.1), otherwise a page. The state
    is echoed unless it is the parameter refused."""
    payload = request.payload
    redirect_uri = None
    if name not in ("client_id", "redirect_uri") and payload.redirect_uri:
        client = server.query_client(payload.client_id)
        if client is not None and client.check_redirect_uri(payload.redirect_uri):
            redirect_uri = payload.redirect_uri
    state = payload.state if name != "state" else None
    refusal = Refusal("invalid_request", shown_parameter(name), reason)
    if name and not refusal.parameter:
        refusal = Refusal("invalid_request", "", f"a parameter the hub does not use is {reason}")
    report(server, request, refusal)
    # The description names the parameter as sent (printable, bounded: limits.printable_name);
    # the page and the log only from the protocol's vocabulary.
    return _error_outcome(server, InvalidRequestError(limit_description(name, reason),
                                                      state=state,
                                                      redirect_uri=redirect_uri),
                          refusal.detail)


def _refused(server: HubAuthorizationServer, request: HubOAuth2Request,
             error: OAuth2Error) -> Outcome:
    """An error of authlib or of our checks: logged, audited, its description naming the
    parameter, then redirected (a trusted redirect URI) or shown."""
    refusal = refusal_of(error)
    report(server, request, refusal)
    error.description = named_description(refusal)
    return _error_outcome(server, error, refusal.detail)


def _error_outcome(server: HubAuthorizationServer, error: OAuth2Error,
                   detail: str = "") -> Outcome:
    if error.redirect_uri:
        _, _, headers = error()
        return RedirectToClient(add_issuer(dict(headers)["Location"], server.rt.settings.issuer))
    return ErrorPage(error.error or "invalid_request", error.get_error_description() or "",
                     detail)


__all__ = ["Authn", "ErrorPage", "NeedConsent", "Outcome", "RedirectToClient", "decide", "deny"]
