"""After every login that opens a session (password, second factor, expired password,
federated login): the browser's device cookie, and the "Nouvelle connexion à votre compte"
e-mail when it is new to the account (portal/devices.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp.portal import devices
from idp.portal.password_change import Notification
from idp.web.cookies import DEVICE_COOKIE, set_device_cookie
from idp.web.hub import hub_of
from sitekit.texts import N_

SUBJECT = N_("New login to your account")
BODY = N_(
    "Hello,\n\nYour account was logged in to on {when} (Paris time) from a device or a "
    "browser it had not been used from before.\n\n{details}If it was you, there is nothing "
    "to do.\n\nIf it was not you, change your password at once on the page \"Login, "
    "security and settings\" of your account: {url}\nIf you logged in through an identity "
    "provider, change your password there too.\n\nYou can stop these e-mails on that same "
    "page.\n\nThis message is sent automatically; please do not answer it."
)
PROVIDER_LINE = N_("Identity provider used: {provider}")
BROWSER_LINE = N_("Browser: {browser}")


async def note_device(request: Request, response: Response, account_id: int,
                      provider_id: str | None = None) -> None:
    """Call once the login succeeded, with the response that carries the session cookie."""
    hub = hub_of(request)
    presented, mail = login_device(request, provider_id)
    cookie, _ = await hub.rt.blocking(devices.note_login_device, hub.rt, account_id,
                                      presented, mail)
    remember_device(request, response, cookie)


def login_device(request: Request, provider_id: str | None = None
                 ) -> tuple[str | None, devices.AlertMail]:
    """(the device cookie presented, the alert e-mail in the page's language) of a login
    from this request, for portal/devices.py."""
    hub = hub_of(request)
    pages = hub.pages
    locale = pages.locale_of(request)
    lines = []
    provider = hub.rt.providers.get(provider_id) if provider_id else None
    if provider is not None:
        lines.append(pages.catalogues.gettext(locale, PROVIDER_LINE).format(
            provider=provider.display_name))
    browser = devices.describe_browser(request.headers.get("user-agent"))
    if browser is not None:
        lines.append(pages.catalogues.gettext(locale, BROWSER_LINE).format(browser=browser))
    details = "".join(line + "\n" for line in lines) + ("\n" if lines else "")

    def mail(when: str) -> Notification:
        return Notification(pages.catalogues.gettext(locale, SUBJECT),
                            pages.catalogues.gettext(locale, BODY).format(
                                when=when, details=details,
                                url=hub.settings.issuer + "/compte/securite"))

    return request.cookies.get(DEVICE_COOKIE), mail


def remember_device(request: Request, response: Response, cookie: str) -> None:
    """The device cookie the browser keeps (portal/devices.py)."""
    set_device_cookie(response, hub_of(request).settings, cookie, devices.COOKIE_MAX_AGE)
