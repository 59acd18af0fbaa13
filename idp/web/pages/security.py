"""« Connexion, sécurité et paramétrage » (seed 004 §6-7): the password (change it, or set
one by e-mail for an account that has none), two-step verification, and the new-device
e-mail switch. Other parts add their items to the template's `security_items` block."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.portal import devices, password_reset
from idp.portal.password_reset import password_choice
from idp.web.hub import hub_of
from idp.web.pages.form_guard import form_post, require_login
from idp.web.pages.guards import logged_in_session
from idp.web.pages.password_reset import link_mail
from idp.web.sessions import SessionState
from sitekit.texts import N_

PATH = "/compte/securite"
ALERTS_PATH = "/compte/securite/alertes"
SET_PASSWORD_PATH = "/compte/securite/definir-mot-de-passe"
ALERTS_ON = N_("You will be told by e-mail of a login from a new device.")
ALERTS_OFF = N_("You will no longer be told by e-mail of a login from a new device.")
LINK_SENT = N_("A link to create your password has been sent to {email}. It works once, "
               "for a limited time.")
LINK_REFUSED = N_("No link could be sent now: try again later.")


def _page(request: Request, session: SessionState, status: int = 200,
          notice: str | None = None, notice_values: dict[str, object] | None = None,
          error: str | None = None) -> Response:
    hub = hub_of(request)
    account = session.logged_in_account
    response: Response = hub.pages.render(
        request, "security.html", status, account=account, csrf_token=session.csrf_token,
        password=password_choice(account), notice=notice, notice_values=notice_values or {},
        error=error)
    return response


async def security_page(request: Request) -> Response:
    session = await logged_in_session(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return _page(request, session)


@form_post(admit=require_login)
async def alerts_submit(request: Request, session: SessionState, form: FormData) -> Response:
    hub = hub_of(request)
    account = session.logged_in_account
    on = form.get("new_device_alerts") == "on"
    await hub.rt.blocking(devices.set_alerts, hub.rt, account.id, on,
                          request.client.host if request.client else None)
    account.new_device_alerts = on  # as just written: the page shows the new state
    return _page(request, session, notice=ALERTS_ON if on else ALERTS_OFF)


@form_post(admit=require_login)
async def set_password_submit(request: Request, session: SessionState, form: FormData
                              ) -> Response:
    hub = hub_of(request)
    account = session.logged_in_account
    if password_choice(account) != "set":
        return _page(request, session, 400, error=LINK_REFUSED)
    sent = await hub.rt.blocking(password_reset.request_setting_link, hub.rt,
                                 hub.recovery_limits, account.id,
                                 request.client.host if request.client else None,
                                 link_mail(request))
    if not sent:
        return _page(request, session, 429, error=LINK_REFUSED)
    return _page(request, session, notice=LINK_SENT, notice_values={"email": account.email})
