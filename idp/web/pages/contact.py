"""Mobile-number reminder after login, and the change of mobile number or e-mail address,
each verified by a code sent to the new one (seeds 000/001)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.portal import contact
from idp.web.hub import hub_of
from idp.web.pages.account import change_notification
from idp.web.pages.form_guard import Endpoint, form_post, require_login
from idp.web.pages.guards import logged_in_session, safe_next
from idp.web.sessions import SessionState
from sitekit.texts import N_

if TYPE_CHECKING:
    from idp.storage.models import Account

WRONG_CODE = N_("The code is wrong or has expired.")
RESEND_LIMITED = N_("Too many codes were sent: no new code was sent. Try again in {minutes} "
                    "minutes.")
ADDRESS_TAKEN = N_("This address, or its part before the @, is already used to log in to "
                   "another account: choose another one.")


@dataclass(frozen=True)
class ContactKind:
    """What changes for a mobile number or an e-mail address (message ids)."""

    normalise: Callable[[str], str | None]
    invalid: str
    subject: str
    text: str  # contains "{code}"


KINDS = {
    "mobile": ContactKind(
        normalise=contact.normalise_mobile,
        invalid=N_("Enter a French mobile number, for example 06 12 34 56 78."),
        subject="",
        text=N_("Your code to confirm this mobile number: {code}. It is valid for 10 "
                "minutes."),
    ),
    "email": ContactKind(
        normalise=contact.normalise_email,
        invalid=N_("Enter an e-mail address, for example nom@exemple.fr."),
        subject=N_("Confirm your new e-mail address"),
        text=N_("Your code to confirm this e-mail address: {code}. It is valid for 10 "
                "minutes."),
    ),
}
PATHS = {"mobile": "/compte/mobile", "email": "/compte/courriel"}
BAD_NUMBER = KINDS["mobile"].invalid


async def reminder_page(request: Request) -> Response:
    hub = hub_of(request)
    session = await logged_in_session(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return hub.pages.render(request, "mobile_reminder.html", csrf_token=session.csrf_token,
                            next=safe_next(request.query_params.get("next")))


@form_post(admit=require_login)
async def reminder_submit(request: Request, session: SessionState, form: FormData) -> Response:
    hub = hub_of(request)
    target = safe_next(str(form.get("next", "/")))
    if form.get("action") == "silence":
        await hub.rt.blocking(contact.silence_reminder, hub.rt.db, hub.rt.clock,
                              session.logged_in_account.id)
    return RedirectResponse(target, status_code=303)


def change_page(kind: str) -> Endpoint:
    async def page(request: Request) -> Response:
        hub = hub_of(request)
        session = await logged_in_session(request)
        if session is None:
            return RedirectResponse("/login", status_code=303)
        return hub.pages.render(request, "contact_change.html", csrf_token=session.csrf_token,
                                next=safe_next(request.query_params.get("next")), kind=kind,
                                action=PATHS[kind],
                                current=_current(session.logged_in_account, kind))
    return page


def change_submit(kind: str) -> Endpoint:
    @form_post(admit=require_login)
    async def submit(request: Request, session: SessionState, form: FormData) -> Response:
        hub = hub_of(request)
        target = safe_next(str(form.get("next", "/")))
        spec = KINDS[kind]
        value = spec.normalise(str(form.get("value", "")))
        if value is None:
            return hub.pages.render(request, "contact_change.html", 400,
                                    csrf_token=session.csrf_token, next=target, kind=kind,
                                    action=PATHS[kind],
                                    current=_current(session.logged_in_account, kind),
                                    error=spec.invalid)
        if kind == "email":
            try:
                await hub.rt.blocking(contact.check_address_free, hub.rt.db,
                                      session.logged_in_account, value)
            except contact.AddressTaken:
                return hub.pages.render(request, "contact_change.html", 400,
                                        csrf_token=session.csrf_token, next=target, kind=kind,
                                        action=PATHS[kind], current=value, error=ADDRESS_TAKEN)
        locale = hub.pages.locale_of(request)
        gettext = hub.pages.catalogues.gettext
        subject = gettext(locale, spec.subject) if spec.subject else ""
        state = await hub.rt.blocking(contact.send_code, hub.rt.db, hub.rt.clock, hub.rt.keys,
                                      kind, value, subject, gettext(locale, spec.text))
        session.data["contact"] = dict(state, next=target)
        await hub.rt.blocking(hub.sessions.save, session)
        return RedirectResponse("/compte/code", status_code=303)
    return submit


async def code_page(request: Request) -> Response:
    hub = hub_of(request)
    session = await logged_in_session(request)
    if session is None or "contact" not in session.data:
        return RedirectResponse("/", status_code=303)
    return hub.pages.render(request, "contact_code.html", csrf_token=session.csrf_token,
                            kind=session.data["contact"]["kind"])


@form_post(admit=require_login)
async def code_submit(request: Request, session: SessionState, form: FormData) -> Response:
    hub = hub_of(request)
    if "contact" not in session.data:
        return RedirectResponse("/", status_code=303)
    state = session.data["contact"]
    account = session.logged_in_account
    notification = change_notification(request, account.username)
    try:
        confirmed = await hub.rt.blocking(contact.confirm_code, hub.rt.db, hub.rt.clock,
                                          hub.rt.keys, hub.rt.audit, account, state,
                                          str(form.get("code", "")), notification)
    except contact.AddressTaken:
        session.data.pop("contact")
        await hub.rt.blocking(hub.sessions.save, session)
        return hub.pages.render(request, "contact_code.html", 409, kind=state["kind"],
                                csrf_token=session.csrf_token, error=ADDRESS_TAKEN)
    if not confirmed:
        await hub.rt.blocking(hub.sessions.save, session)  # the attempt counts
        return hub.pages.render(request, "contact_code.html", 400, kind=state["kind"],
                                csrf_token=session.csrf_token, error=WRONG_CODE)
    session.data.pop("contact")
    await hub.rt.blocking(hub.sessions.save, session)
    return hub.pages.render(request, "contact_changed.html", kind=state["kind"],
                            next=safe_next(state["next"]))


@form_post(admit=require_login)
async def code_resend(request: Request, session: SessionState, form: FormData) -> Response:
    """"Renvoyer le code": a new code, the previous one no longer valid (portal/contact.py)."""
    hub = hub_of(request)
    state = session.data.get("contact")
    if not isinstance(state, dict):
        return RedirectResponse("/", status_code=303)
    spec = KINDS[state["kind"]]
    locale = hub.pages.locale_of(request)
    gettext = hub.pages.catalogues.gettext
    wait = await hub.rt.blocking(
        contact.resend_code, hub.rt.db, hub.rt.clock, hub.rt.keys, hub.recovery_limits,
        session.logged_in_account.id, state, gettext(locale, spec.subject) if spec.subject
        else "", gettext(locale, spec.text), request.client.host if request.client else None)
    if wait:
        return hub.pages.render(request, "contact_code.html", 429, kind=state["kind"],
                                csrf_token=session.csrf_token, resend_error=RESEND_LIMITED,
                                minutes=-(-wait // 60))
    await hub.rt.blocking(hub.sessions.save, session)  # the new code's hash
    return hub.pages.render(request, "contact_code.html", kind=state["kind"],
                            csrf_token=session.csrf_token, resent=True)


def _current(account: Account, kind: str) -> str:
    return (account.phone_number if kind == "mobile" else account.email) or ""
