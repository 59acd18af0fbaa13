"""`/compte/suppression` "Supprimer mon compte" (seed 004 §7), and the inactivity job's
e-mails (portal/inactivity.py), written in the default language (French).

Confirmation: the password, typed again and counted like a login (pages/reauthentication.py:
throttled, a lock logs out). An account without a usable password (created by an identity
provider, FI) confirms by a login through its FI made less than RECENT_LOGIN seconds ago:
otherwise the page offers that login (`/connexion/choix?idp_hint=…`) and the person comes
back. Only citizens' accounts: the others are managed by their organisations. After the
deletion (portal/deletion.py) the browser's session is gone: the cookie is cleared and the
page says the account is deleted.
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts.errors import Locked
from idp.portal.deletion import Notification, delete_account, deletion_notification
from idp.portal.inactivity import InactivityRules, handle_inactive_accounts
from idp.storage.models import Account
from idp.storage.repositories.accounts import logs_in_with_password
from idp.web.cookies import clear_session_cookie
from idp.web.hub import Hub, hub_of
from idp.web.pages.form_guard import form_post, require_login
from idp.web.pages.guards import logged_in_session
from idp.web.pages.reauthentication import current_password_ok, locked_out
from idp.web.sessions import SessionState
from sitekit.background import Every
from sitekit.texts import N_
from sitekit.web.i18n import DEFAULT_LOCALE

PATH = "/compte/suppression"
RECENT_LOGIN = 300  # seconds: how recent the FI login of an account without password must be

def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def deletion_page(request: Request) -> Response:
    session = await logged_in_session(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return _form(request, session, [])


@form_post(admit=require_login)
async def deletion_submit(request: Request, session: SessionState, form: FormData) -> Response:
    hub = hub_of(request)
    account = session.account
    assert account is not None  # admitted by require_login
    if account.population != "citizen":
        return _form(request, session, [], status=403)
    if logs_in_with_password(account.password_hash):
        try:
            confirmed = await current_password_ok(request, account,
                                                  str(form.get("password", "")))
        except Locked as locked:
            return await locked_out(request, session, locked)
        if not confirmed:
            return _form(request, session, [("password", N_("The password is incorrect."))],
                         status=400)
    elif not _recent_federated_login(hub, session):
        return _form(request, session, [("", N_(
            "For your safety, log in again with your identity provider, then delete your "
            "account within 5 minutes."))], status=400)
    locale = hub.pages.locale_of(request)
    notification = deletion_notification(
        functools.partial(hub.pages.catalogues.gettext, locale), "deleted", account,
        hub.rt.clock.now(), hub.settings.issuer)
    await hub.rt.blocking(lambda: delete_account(hub.server, account.id, reason="owner",
                                                 notification=notification))
    response: Response = hub.pages.render(request, "account_deleted.html")
    clear_session_cookie(response, hub.settings)
    return response


def _recent_federated_login(hub: Hub, session: SessionState) -> bool:
    return bool(session.data.get("federation")) and session.auth_time is not None and (
        hub.rt.clock.now() - session.auth_time <= RECENT_LOGIN)


def _form(request: Request, session: SessionState, errors: list[tuple[str, str]],
          status: int = 200) -> Response:
    hub = hub_of(request)
    account = session.account
    assert account is not None
    federation = session.data.get("federation") or {}
    provider = hub.rt.providers.get(federation.get("provider_id", "")) if federation else None
    relogin = "/connexion/choix?" + urlencode(
        {"idp_hint": provider.id} if provider is not None else {})
    by_field = {field: message for field, message in errors}
    response: Response = hub.pages.render(
        request, "account_deletion.html", status, account=account, errors=errors,
        by_field=by_field, csrf_token=session.csrf_token,
        citizen=account.population == "citizen",
        with_password=logs_in_with_password(account.password_hash),
        recent=_recent_federated_login(hub, session), relogin=relogin,
        provider_name=provider.display_name if provider is not None else None)
    return response


def inactivity_job(hub: Hub) -> Every:
    """The inactivity job of this process (portal/inactivity.py), every purge interval, its
    e-mails in the default language."""
    rules = InactivityRules.from_settings(hub.settings)

    translate = functools.partial(hub.pages.catalogues.gettext, DEFAULT_LOCALE)

    def texts(kind: str, account: Account, when: int) -> Notification:
        return deletion_notification(translate, kind, account, when, hub.settings.issuer)

    return Every(hub.settings.purge_interval,
                 lambda: handle_inactive_accounts(hub.server, rules, texts), "inactivity")
