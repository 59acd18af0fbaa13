"""A citizen's registration (seed 004 §1): the form ("Créer votre compte personnel"), the
neutral answer ("Consultez votre messagerie"), the confirmation link's page and its button,
and another e-mail asked from the "awaiting confirmation" page of the login. What happens
is idp/accounts/registration.py; the human check is idp/accounts/human_check.py."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from idp.accounts.authentication import PASSWORD_AMR
from idp.accounts.human_check import NO_PROOF_DELAY, Verdict
from idp.accounts.registration import Choices, Mail, RegistrationMails, valid_address
from idp.web.cookies import set_session_cookie
from idp.web.hub import Hub, hub_of
from idp.web.pages.form_guard import form_post
from idp.web.pages.login_outcomes import AWAITING_PAGE, complete_login, ui_locales_of
from idp.web.sessions import SessionState
from sitekit.texts import N_

MAX_FIELD = 320
MAX_PASSWORD = 1024
NO_CHOICE = Choices()
AWAITING_FOR = 1800  # seconds the "awaiting confirmation" page may ask for another e-mail

CONFIRM_SUBJECT = N_("Confirm the creation of your account")
CONFIRM_BODY = N_(
    "Hello,\n\nTo finish creating your personal account, open this link within one week:\n"
    "{link}\n\nAfter that week, you can ask for another e-mail for one month: log in with "
    "your address and password, then choose \"Ask for another e-mail\". After that month, "
    "you will have to start the registration again.\n\nIf you did not ask to create an "
    "account, ignore this message: no account will be opened.\n\nThis message is sent "
    "automatically; please do not answer it.")
EXISTING_SUBJECT = N_("Attempt to create an account with your address")
EXISTING_BODY = N_(
    "Hello,\n\nSomeone, perhaps you, tried to create an account with this e-mail address. "
    "It already has an account: no other account was created.\n\nTo log in, use this "
    "address and your password: {login}\nIf you forgot your password, choose a new one "
    "here: {reset}\n\nIf you did not make this request, you need not do anything.\n\nThis "
    "message is sent automatically; please do not answer it.")
BLOCKED_SUBJECT = N_("Your account cannot be created yet")
BLOCKED_BODY = N_(
    "Hello,\n\nSomeone, perhaps you, tried to create an account with this e-mail address. "
    "An account using it was deleted less than a year ago: this address cannot open a new "
    "account before {date}.\n\nIf you did not make this request, you need not do "
    "anything.\n\nThis message is sent automatically; please do not answer it.")

INVALID_EMAIL = N_("Enter a valid e-mail address, for example name@example.fr.")
CONFIRMATION_DIFFERS = N_("The confirmation differs from the password.")
TERMS_REQUIRED = N_("You must accept the terms of use to create an account.")
HUMAN_CHECK_ERRORS = {
    Verdict.MISSING: N_("The check that you are not a robot is not complete. Wait a few "
                        "seconds, then send the form again."),
    Verdict.INVALID: N_("The check that you are not a robot failed. Send the form again."),
    Verdict.EXPIRED: N_("The check that you are not a robot has expired. Send the form "
                        "again."),
    Verdict.REPLAYED: N_("The check that you are not a robot has already been used. Send the "
                         "form again."),
    Verdict.TOO_MANY: N_("Too many forms were sent from your connection without the check "
                         "that you are not a robot. Enable JavaScript, or try again in an "
                         "hour."),
}


def _text(request: Request, message: str) -> str:
    pages = hub_of(request).pages
    return pages.catalogues.gettext(pages.locale_of(request), message)


def _mails(request: Request) -> RegistrationMails:
    """The e-mails of a registration, in the page's language."""
    return RegistrationMails(
        confirm=Mail(_text(request, CONFIRM_SUBJECT), _text(request, CONFIRM_BODY)),
        already_registered=Mail(_text(request, EXISTING_SUBJECT), _text(request, EXISTING_BODY)),
        blocked=Mail(_text(request, BLOCKED_SUBJECT), _text(request, BLOCKED_BODY)))


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _session(request: Request) -> tuple[SessionState, bool]:
    hub = hub_of(request)
    session = await hub.load_session(request)
    if session is None:
        return await hub.rt.blocking(hub.sessions.create), True
    return session, False


def _form(request: Request, session: SessionState, rid: str | None, status: int = 200,
          errors: list[tuple[str, str]] | None = None, email: str = "",
          choices: Choices = NO_CHOICE) -> Response:
    hub = hub_of(request)
    by_field: dict[str, list[str]] = {}
    for field, message in errors or []:
        by_field.setdefault(field, []).append(message)
    return hub.pages.render(
        request, "registration.html", status, ui_locales_of(session.get_pending(rid)),
        csrf_token=session.csrf_token, rid=rid, email=email, errors=errors or [],
        by_field=by_field, rules=[r.message for r in hub.rt.policies("citizen").rules],
        challenge=json.dumps(hub.human_check.challenge()), stamp=hub.human_check.stamp(),
        wait_seconds=NO_PROOF_DELAY, choices=choices)


def _rid(session: SessionState, value: object) -> str | None:
    rid = value if isinstance(value, str) else None
    return rid if session.get_pending(rid) else None


async def registration_page(request: Request) -> Response:
    session, new = await _session(request)
    response = _form(request, session, _rid(session, request.query_params.get("rid")))
    if new:
        set_session_cookie(response, hub_of(request).settings, session.id)
    return response


def _field(form: FormData, name: str, limit: int = MAX_FIELD) -> str:
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


@form_post
async def registration_submit(request: Request, session: SessionState,
                              form: FormData) -> Response:
    hub = hub_of(request)
    started = time.monotonic()
    rid = _rid(session, form.get("rid"))
    typed = _field(form, "email")
    password = _field(form, "password", MAX_PASSWORD)
    choices = Choices(newsletter=form.get("newsletter") == "yes",
                      alerts=form.get("alerts") == "yes")
    email = valid_address(typed)
    errors: list[tuple[str, str]] = []
    if email is None:
        errors.append(("email", INVALID_EMAIL))
    errors += [("password", m) for m in hub.rt.policies("citizen").failures(password)]
    if password != _field(form, "confirmation", MAX_PASSWORD):
        errors.append(("confirmation", CONFIRMATION_DIFFERS))
    if form.get("terms") != "yes":
        errors.append(("terms", TERMS_REQUIRED))
    if errors:
        return _form(request, session, rid, 400, errors, typed, choices)
    verdict = await hub.rt.blocking(hub.human_check.verify, _field(form, "altcha", 4000),
                                    _field(form, "stamp", 200), _ip(request))
    if verdict is not Verdict.PASSED:
        status = 429 if verdict is Verdict.TOO_MANY else 400
        return _form(request, session, rid, status, [("human-check",
                                                      HUMAN_CHECK_ERRORS[verdict])],
                     typed, choices)
    assert email is not None  # no error above
    account_id = await hub.rt.blocking(
        hub.registrations.register, email, password, choices, _mails(request),
        _link_data(session, rid), _ip(request))
    # The browser whose registration a confirmation activates is logged in by it; the
    # session is written whatever the case, so the work does not tell either.
    session.data["registered"] = account_id
    await hub.rt.blocking(hub.sessions.save, session)
    await _wait_out(hub, started)
    return hub.pages.render(request, "registration_sent.html",
                            ui_locales=ui_locales_of(session.get_pending(rid)))


def _link_data(session: SessionState, rid: str | None) -> dict[str, Any]:
    """What the link keeps of the application's request: its `rid`, resumed by the browser
    holding it, and the client, whose home another browser is offered."""
    pending = session.get_pending(rid)
    if not pending:
        return {}
    return {"rid": rid, "client_id": dict(pending["params"]).get("client_id")}


# The event loop's timers are too coarse for the floor: uvloop's clock is libuv's, in whole
# milliseconds and read once per turn of the loop, so a sleep ends up to a millisecond early or
# late by how the turn began, which differed by the address's case (0.6 ms, measured).
COARSE_MARGIN = 0.003


async def _wait_out(hub: Hub, started: float) -> None:
    """The answer leaves at the same time whatever the address was (no enumeration): the
    event loop sleeps until a few milliseconds before, a pool thread the rest, to the
    microsecond (``time.monotonic``, like `started`)."""
    deadline = started + hub.settings.registration_answer_seconds
    left = deadline - time.monotonic()
    if left > COARSE_MARGIN:
        await asyncio.sleep(left - COARSE_MARGIN)
    left = deadline - time.monotonic()
    if left > 0:
        await hub.rt.blocking(time.sleep, left)


def _token(value: object) -> str:
    return value[:100] if isinstance(value, str) else ""


def _invalid_link(request: Request) -> Response:
    response: Response = hub_of(request).pages.render(request, "registration_link.html", 410)
    return response


async def confirmation_page(request: Request) -> Response:
    """The link's page: a button, because mail scanners open links (GET) by themselves."""
    hub = hub_of(request)
    token = _token(request.query_params.get("jeton"))
    if not await hub.rt.blocking(hub.registrations.link_usable, token):
        return _invalid_link(request)
    session, new = await _session(request)
    response = hub.pages.render(request, "registration_confirm.html",
                                csrf_token=session.csrf_token, token=token)
    if new:
        set_session_cookie(response, hub.settings, session.id)
    return response


@form_post
async def confirmation_submit(request: Request, session: SessionState,
                              form: FormData) -> Response:
    hub = hub_of(request)
    confirmed = await hub.rt.blocking(hub.registrations.confirm, _token(form.get("jeton")),
                                      _ip(request))
    if confirmed is None:
        return _invalid_link(request)
    if session.data.get("registered") == confirmed.account.id:
        # The browser that registered (and typed the password): logged in as by a password,
        # then back to the application's request when it is still pending here.
        session.data.pop("registered", None)
        rid = confirmed.data.get("rid")
        return await complete_login(request, session, confirmed.account,
                                    rid if isinstance(rid, str) else None, PASSWORD_AMR)
    # Another browser: the account is active; the application's request lives in the
    # browser that registered, so its home page is offered (where its login starts again).
    client = hub.rt.clients.get(confirmed.data.get("client_id"))
    return hub.pages.render(request, "registration_confirmed.html",
                            client_name=client.name if client and client.home_url else None,
                            client_url=client.home_url if client else None)


@form_post
async def resend_submit(request: Request, session: SessionState, form: FormData) -> Response:
    """"Demander l'envoi d'un autre courriel", from the page the login shows a pending
    account (pages/login_outcomes.py)."""
    hub = hub_of(request)
    awaiting: dict[str, Any] = session.data.get("awaiting") or {}
    sent = False
    if awaiting and hub.rt.clock.now() - int(awaiting.get("at", 0)) <= AWAITING_FOR:
        rid = awaiting.get("rid")
        data = _link_data(session, rid if isinstance(rid, str) else None)
        sent = await hub.rt.blocking(
            hub.registrations.resend, int(awaiting["account_id"]),
            Mail(_text(request, CONFIRM_SUBJECT), _text(request, CONFIRM_BODY)), data,
            _ip(request))
        if sent:
            session.data["registered"] = int(awaiting["account_id"])
            await hub.rt.blocking(hub.sessions.save, session)
    return hub.pages.render(request, AWAITING_PAGE, 200 if sent else 429,
                            csrf_token=session.csrf_token, sent=sent, refused=not sent)
