"""The account's links with identity providers (seed 004 §8, §11), as pages; the rules are
in idp/accounts/linking.py and idp/portal/finishing.py.

- `/compte/finaliser`: an account an FI login created is offered to give its e-mail address
  (and a password), confirmed by a link sent there (GET shows a button, POST uses the link:
  mail scanners fetch links), or to be merged into the account the person already has
  ("J'ai déjà un compte": its identifier or address AND its password, then its
  authenticator code if it has one, checked and throttled as a login; the same answer for
  an unknown name and a wrong password). It is offered by a
  banner on the hub's home, never by interrupting an application's authorization request:
  the person came for the application, and the link they may want needs their password.
- `/compte/liaisons`: the account's FI links (name, first and last use), each with its
  "Supprimer ma liaison" button, and "Lier un fournisseur d'identité": the FI's login in a
  link mode (pages/federation.py keeps the purpose with the flow's state), after a recent
  authentication (RECENT_AUTHENTICATION, else the password typed again).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.authentication import SecondFactorRequired
from idp.accounts.errors import AuthenticationRefused, Locked, MissingCredentials
from idp.accounts.linking import (
    RECENT_AUTHENTICATION,
    LinkRefused,
    detach,
    federated_only,
    links_of,
    merge_into,
    session_ids,
)
from idp.federation import citizen_login
from idp.federation.citizen_login import FederationFailure
from idp.limits import is_clean_identifier
from idp.oidc.endpoints.backchannel_logout import deliver, logout_deliveries
from idp.portal import finishing
from idp.portal.password_change import Notification
from idp.storage.models import Account
from idp.web.cookies import set_session_cookie
from idp.web.hub import hub_of
from idp.web.messages import ERROR_MESSAGES, WRONG_CODE
from idp.web.pages.federation import LINK_OUTCOME, LINK_PURPOSE, go_to_provider
from idp.web.pages.form_guard import form_post, require_login
from idp.web.pages.login_outcomes import slow_down
from idp.web.pages.reauthentication import current_password_ok, locked_out
from idp.web.sessions import SessionState
from sitekit.texts import N_

FINISH_PAGE = "/compte/finaliser"
LINKS_PAGE = "/compte/liaisons"
MAX_NAME = 320
MAX_PASSWORD = 1024
REAUTHENTICATED = "reauthenticated_at"  # session data: when the password was typed again

MAIL_SUBJECT = N_("Confirm your e-mail address")
MAIL_BODY = N_(
    "Hello,\n\nTo finish creating your account, confirm your e-mail address by opening this "
    "link:\n\n{link}\n\nThe link works once. If you did not ask for it, ignore this "
    "message.\n\nThis message is sent automatically; please do not answer it.")

# What the person reads for each refusal of accounts/linking.py.
REFUSALS = {
    "inactive": N_("This account cannot be linked: it is disabled or awaits the "
                   "confirmation of its e-mail address."),
    "identity_differs": N_("This account already belongs to another identity: it cannot be "
                           "linked with this identity provider."),
    "identity_elsewhere": N_("This identity is already linked to another account. Log in "
                             "through the identity provider, then choose \"I already have an "
                             "account\" to bring the two together."),
    "subject_elsewhere": N_("This identity provider account is already linked to another "
                            "account."),
    "not_federated": N_("This account cannot be linked this way."),
    "last_way_in": N_("This link is your only way to log in. First give your e-mail address "
                      "and choose a password (or link another identity provider), then remove "
                      "it."),
    "unknown_link": N_("This link no longer exists."),
}
LINK_EXPIRED = {
    "title": N_("Link no longer valid"),
    "message": N_("This link has expired or was already used. Log in through your identity "
                  "provider and give your e-mail address again to receive a new one."),
}
LINK_FAILED = N_("Incorrect identifier or password.")
LINK_LOCKED = N_("Too many attempts: try again in {minutes} minutes.")
LINK_AGAIN = N_("The time to enter the code ran out: start again.")
MERGE_CODE = "merge_second_factor"  # session data: the account whose code is awaited
CODE_SECONDS = 300


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d/%m/%Y")


# Finishing an FI-created account --------------------------------------------------------------

async def finish_page(request: Request) -> Response:
    hub = hub_of(request)
    session = await hub.load_session(request)
    if session is None or session.account is None:
        return RedirectResponse("/login", status_code=303)
    if not federated_only(session.account):
        return RedirectResponse("/", status_code=303)
    return _finish_form(request, session, email=session.account.email or "")


def _finish_form(request: Request, session: SessionState, status: int = 200,
                 errors: list[tuple[str, str]] | None = None, link_error: str | None = None,
                 link_values: dict[str, object] | None = None, identifier: str = "",
                 email: str = "", taken: str | None = None) -> Response:
    hub = hub_of(request)
    by_field: dict[str, list[str]] = {}
    for field, message in errors or []:
        by_field.setdefault(field, []).append(message)
    return hub.pages.render(
        request, "account_finish.html", status, account=session.account,
        csrf_token=session.csrf_token, errors=errors or [], by_field=by_field,
        rules=[rule.message for rule in hub.rt.policies("citizen").rules],
        link_error=link_error, link_values=link_values or {}, identifier=identifier,
        email=email, taken=taken)


@form_post(admit=require_login)
async def finish_email_submit(request: Request, session: SessionState,
                              form: FormData) -> Response:
    hub = hub_of(request)
    account = session.logged_in_account
    if not federated_only(account):
        return RedirectResponse("/", status_code=303)
    email = _text(form, "email", MAX_NAME)
    if email is None:
        return _bad_form(request)
    password = _text(form, "new_password", MAX_PASSWORD)
    confirmation = _text(form, "confirmation", MAX_PASSWORD)
    if password is None or confirmation is None:
        return _bad_form(request)
    pages = hub.pages
    locale = pages.locale_of(request)
    mail = Notification(pages.catalogues.gettext(locale, MAIL_SUBJECT),
                        pages.catalogues.gettext(locale, MAIL_BODY))
    errors = await hub.rt.blocking(finishing.request_address, hub.rt, account.id, email,
                                   password, confirmation, mail, _ip(request))
    if errors:
        return _finish_form(request, session, 400, errors=errors, email=email)
    return hub.pages.render(request, "account_finish_sent.html", account=account,
                            email=email.strip().lower())


async def confirm_page(request: Request) -> Response:
    """The link from the e-mail: a button (its POST uses the link), never a change on GET."""
    hub = hub_of(request)
    token = request.query_params.get("jeton", "")
    if not await hub.rt.blocking(finishing.link_is_valid, hub.rt, token):
        return _link_expired(request)
    session = await hub.load_session(request)
    new_session = session is None
    if session is None:  # opened in another browser: the button's form needs a session
        session = await hub.rt.blocking(hub.sessions.create)
    response: Response = hub.pages.render(request, "account_finish_confirm.html",
                                          csrf_token=session.csrf_token, token=token)
    if new_session:
        set_session_cookie(response, hub.settings, session.id)
    return response


@form_post
async def confirm_submit(request: Request, session: SessionState, form: FormData) -> Response:
    hub = hub_of(request)
    token = _text(form, "jeton", 128) or ""
    try:
        confirmed = await hub.rt.blocking(finishing.confirm_address, hub.rt, token,
                                          _ip(request))
    except finishing.AddressTaken as taken:
        # The address's owner proved it: telling them it has an account reveals nothing.
        if session.account is not None and federated_only(session.account):
            return _finish_form(request, session, 409, identifier=taken.email,
                                taken=taken.email)
        return hub.pages.render(request, "account_finish_taken.html", 409, email=taken.email)
    if confirmed is None:
        return _link_expired(request)
    return hub.pages.render(request, "account_finish_done.html", email=confirmed.email,
                            with_password=confirmed.with_password,
                            logged_in=session.account is not None)


@form_post(admit=require_login)
async def finish_link_submit(request: Request, session: SessionState,
                             form: FormData) -> Response:
    """"J'ai déjà un compte": the account named, proved by its password (and its
    authenticator code when it has one), takes this one's FI links and identity; this
    browser is then logged in to it."""
    hub = hub_of(request)
    if not federated_only(session.logged_in_account):
        return RedirectResponse("/", status_code=303)
    if "code" in form:
        return await _second_factor_step(request, session, form)
    name = _text(form, "identifier", MAX_NAME)
    password = _text(form, "password", MAX_PASSWORD)
    if name is None or password is None:
        return _bad_form(request)
    try:
        outcome = await hub.rt.blocking(hub.authentication.log_in, name.strip(), password,
                                        _ip(request))
    except Locked as locked:
        await slow_down(locked)
        return _finish_form(request, session, 429, link_error=LINK_LOCKED,
                            link_values={"minutes": locked.minutes}, identifier=name)
    except MissingCredentials:
        return _finish_form(request, session, 400, link_error=LINK_FAILED, identifier=name)
    except AuthenticationRefused as refusal:  # unknown name, wrong password: one answer
        await slow_down(refusal)
        return _finish_form(request, session, 401, link_error=LINK_FAILED, identifier=name)
    if isinstance(outcome, SecondFactorRequired):
        # The password was right; the code follows (counted in the same throttle).
        session.data[MERGE_CODE] = {"account_id": outcome.account.id,
                                    "at": hub.rt.clock.now()}
        await hub.rt.blocking(hub.sessions.save, session)
        return _code_form(request, session)
    return await _merge(request, session, outcome.account, name)


def _code_form(request: Request, session: SessionState, status: int = 200,
               error: str | None = None, values: dict[str, object] | None = None) -> Response:
    return hub_of(request).pages.render(
        request, "account_finish_code.html", status, csrf_token=session.csrf_token,
        error=error, error_values=values or {})


async def _second_factor_step(request: Request, session: SessionState,
                              form: FormData) -> Response:
    hub = hub_of(request)
    waiting = session.data.get(MERGE_CODE)
    if not waiting or hub.rt.clock.now() - int(waiting["at"]) > CODE_SECONDS:
        session.data.pop(MERGE_CODE, None)
        await hub.rt.blocking(hub.sessions.save, session)
        return _finish_form(request, session, 400, link_error=LINK_AGAIN)
    code = _text(form, "code", 64)
    if code is None:
        return _bad_form(request)
    local = await hub.rt.blocking(hub.server.load_active_account, int(waiting["account_id"]))
    if local is None:
        return _finish_form(request, session, 409, link_error=REFUSALS["inactive"])
    try:
        outcome = await hub.rt.blocking(hub.authentication.confirm_code, local, code.strip(),
                                        _ip(request))
    except Locked as locked:
        await slow_down(locked)
        session.data.pop(MERGE_CODE, None)
        await hub.rt.blocking(hub.sessions.save, session)
        return _finish_form(request, session, 429, link_error=LINK_LOCKED,
                            link_values={"minutes": locked.minutes})
    except AuthenticationRefused as refusal:
        await slow_down(refusal)
        return _code_form(request, session, 401, WRONG_CODE)
    session.data.pop(MERGE_CODE, None)
    return await _merge(request, session, outcome.account, "")


async def _merge(request: Request, session: SessionState, local: Account,
                 name: str) -> Response:
    """Every factor of `local` proved: merge the session's FI-created account into it."""
    hub = hub_of(request)
    fi_account = session.logged_in_account
    # The FI-created account's applications are told its sessions end (back-channel logout).
    sids = await hub.rt.blocking(session_ids, hub.rt.db, fi_account.id)
    deliveries: list[tuple[str, str, str]] = []
    for sid in sids:
        deliveries += await hub.rt.blocking(logout_deliveries, hub.server, sid)
    try:
        await hub.rt.blocking(merge_into, hub.rt.db, hub.rt.audit, fi_account.id, local.id,
                              _ip(request))
    except LinkRefused as refused:
        return _finish_form(request, session, 409, link_error=REFUSALS[refused.reason],
                            identifier=name)
    # The browser's session went with the merged account: a new one, of the local account,
    # keeping the FI login's level and its ID token (the logout ends the FI session too).
    extra = {"federation": session.data["federation"]} if session.data.get("federation") \
        else {}
    new = await hub.rt.blocking(hub.sessions.log_in, None, local,
                                session.acr or hub.settings.acr_default,
                                session.amr, extra)
    new.data[LINK_OUTCOME] = {"merged": True}
    await hub.rt.blocking(hub.sessions.save, new)
    hub.rt.audit.record("login.success", account_id=local.id, ip=_ip(request),
                        merged=True)
    response = RedirectResponse(LINKS_PAGE, status_code=303)
    set_session_cookie(response, hub.settings, new.id)
    if deliveries:
        response.background = BackgroundTask(deliver, hub.server, deliveries)
    return response


# The links page ------------------------------------------------------------------------------

async def links_page(request: Request) -> Response:
    hub = hub_of(request)
    session = await hub.load_session(request)
    if session is None or session.account is None:
        return RedirectResponse("/login", status_code=303)
    outcome = session.data.pop(LINK_OUTCOME, None)
    if outcome is not None:
        await hub.rt.blocking(hub.sessions.save, session)
    return await _links_form(request, session, outcome=outcome)


async def _links_form(request: Request, session: SessionState, status: int = 200,
                      outcome: dict[str, Any] | None = None, error: str | None = None,
                      password_error: bool = False) -> Response:
    hub = hub_of(request)
    account = session.logged_in_account
    links = await hub.rt.blocking(links_of, hub.rt.db, account.id)
    rows = []
    for link in links:
        provider = hub.rt.providers.get(link.provider_id)
        rows.append({"id": link.id, "name": provider.display_name if provider
                     else link.provider_id, "first": _date(link.first_used_at),
                     "last": _date(link.last_used_at)})
    linked = {link.provider_id for link in links}
    choices = [c for c in citizen_login.choices(hub.rt.providers, None, hub.settings.acr_default)
               if c.provider.id not in linked]
    return hub.pages.render(
        request, "account_links.html", status, account=account, csrf_token=session.csrf_token,
        links=rows, choices=choices, outcome=outcome, error=error,
        refusals=REFUSALS, needs_password=not _recently_authenticated(request, session),
        has_password=not federated_only(account), password_error=password_error)


def _recently_authenticated(request: Request, session: SessionState) -> bool:
    now = hub_of(request).rt.clock.now()
    last = max(session.auth_time or 0, int(session.data.get(REAUTHENTICATED) or 0))
    return now - last <= RECENT_AUTHENTICATION


@form_post(admit=require_login)
async def link_submit(request: Request, session: SessionState, form: FormData) -> Response:
    """"Lier un fournisseur d'identité": out to the FI chosen, after a recent
    authentication (the password typed again, throttled as a login, when it is not)."""
    hub = hub_of(request)
    account = session.logged_in_account
    provider_id = _text(form, "provider", 64)
    if provider_id is None or not is_clean_identifier(provider_id, 64):
        return _bad_form(request)
    if not _recently_authenticated(request, session):
        if federated_only(account):  # no password to type again: a new login it is
            return await _links_form(request, session, 403, error=N_(
                "Log out and log in again to link an identity provider."))
        try:
            ok = await current_password_ok(request, account,
                                           _text(form, "password", MAX_PASSWORD) or "")
        except Locked as locked:
            return await locked_out(request, session, locked)
        if not ok:
            return await _links_form(request, session, 401, password_error=True)
        session.data[REAUTHENTICATED] = hub.rt.clock.now()
    asked = hub.settings.acr_default
    try:
        provider = citizen_login.selectable(hub.rt.providers, None, provider_id, asked)
    except FederationFailure:
        return await _links_form(request, session, 400, error=N_(
            "This identity provider cannot be used now."))
    return await go_to_provider(request, session, provider, asked, LINK_PURPOSE)


@form_post(admit=require_login)
async def unlink_submit(request: Request, session: SessionState, form: FormData) -> Response:
    """"Supprimer ma liaison" (seed 004 §11)."""
    hub = hub_of(request)
    raw = _text(form, "link", 20)
    if raw is None or not raw.isascii() or not raw.isdigit():
        return _bad_form(request)
    try:
        provider_id = await hub.rt.blocking(detach, hub.rt.db, hub.rt.audit,
                                            session.logged_in_account.id, int(raw), _ip(request))
    except LinkRefused as refused:
        status = 409 if refused.reason == "last_way_in" else 404
        return await _links_form(request, session, status, error=REFUSALS[refused.reason])
    provider = hub.rt.providers.get(provider_id)
    return await _links_form(request, session, outcome={
        "unlinked": provider.display_name if provider else provider_id})


# Shared -------------------------------------------------------------------------------------

def _text(form: FormData, name: str, limit: int) -> str | None:
    """The one text value of `name` ("" when absent); None when repeated, a file, too long
    or holding a NUL (a 400)."""
    values = form.getlist(name)
    if not values:
        return ""
    value = values[0]
    if len(values) > 1 or not isinstance(value, str) or len(value) > limit or "\x00" in value:
        return None
    return value


def _bad_form(request: Request) -> Response:
    return hub_of(request).pages.render(request, "error.html", 400,
                                        **ERROR_MESSAGES["bad_input"])


def _link_expired(request: Request) -> Response:
    return hub_of(request).pages.render(request, "error.html", 400,
                                        **LINK_EXPIRED)
