"""The authenticator app: the code asked after the password (or to step up an existing
session when a client asks for `eidas2`), and its enrolment and removal on the portal."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts import second_factor
from idp.accounts.errors import AuthenticationRefused, Locked
from idp.oidc.keys import KeyStore
from idp.storage.models import Account
from idp.storage.repositories import outbox as outbox_repo
from idp.web.hub import hub_of
from idp.web.messages import MISSING_CODE, WRONG_CODE, WRONG_PASSWORD
from idp.web.pages.account import change_notification
from idp.web.pages.form_guard import form_post, require_login
from idp.web.pages.guards import logged_in_session
from idp.web.pages.login_outcomes import answer, outcome_of, ui_locales_of
from idp.web.pages.reauthentication import current_code_ok, current_password_ok, locked_out
from idp.web.sessions import SessionState
from sitekit.texts import N_

LOGIN_STEP_SECONDS = 300  # time to type the code after the password
# The recovery codes are stored hashed: the only copy in clear is the page that shows them
# and, for this long, the session (sealed by the keys folder's secret box) so "Télécharger"
# can give them as a file; then they are forgotten.
CODES_DOWNLOAD_SECONDS = 300
CODES_KEY = "recovery_codes"
CODES_FILE = N_("recovery-codes.txt")
CODES_FILE_TEXT = N_("Recovery codes of the identifier {username} (two-step verification). "
                     "Each code can be used once, instead of the code of your authenticator "
                     "app. Keep this file somewhere safe.")


# -- At login, or to step up ---------------------------------------------------------------

async def code_page(request: Request) -> Response:
    hub = hub_of(request)
    session = await hub.load_session(request)
    account, rid = await _waiting(request, session, request.query_params.get("rid"))
    if session is None or account is None:  # no account awaits its code without a session
        return RedirectResponse("/login", status_code=303)
    return _code_form(request, session, rid)


@form_post
async def code_submit(request: Request, session: SessionState, form: FormData) -> Response:
    hub = hub_of(request)
    account, rid = await _waiting(request, session, str(form.get("rid", "")) or None)
    if account is None:
        return RedirectResponse("/login", status_code=303)
    code = str(form.get("code", ""))[:64]
    result = await outcome_of(request, hub.authentication.confirm_code, account, code,
                              request.client.host if request.client else None)
    if not isinstance(result, AuthenticationRefused):
        session.data.pop("second_factor", None)

    def again(status: int, error: str, values: dict[str, object]) -> Response:
        return _code_form(request, session, rid, status, error, **values)

    return await answer(request, session, "code", result, rid, again,
                        ui_locales_of(session.get_pending(rid)))


async def _waiting(request: Request, session: SessionState | None,
                   rid: str | None) -> tuple[Account | None, str | None]:
    """(account, rid) whose second factor is awaited: a password just verified at login, or
    a logged-in user whose pending request asks for more (step-up); else (None, None)."""
    hub = hub_of(request)
    if session is None:
        return None, None
    waiting = session.data.get("second_factor")
    if waiting and hub.rt.clock.now() - waiting["at"] <= LOGIN_STEP_SECONDS:
        account = await hub.rt.blocking(hub.server.load_active_account, waiting["account_id"])
        waiting_rid: str | None = waiting["rid"]
        return account, waiting_rid
    if session.account is not None and session.get_pending(rid) is not None:
        return session.account, rid
    return None, None


def _code_form(request: Request, session: SessionState, rid: str | None, status: int = 200,
               error: str | None = None, **values: object) -> Response:
    return hub_of(request).pages.render(
        request, "second_factor_code.html", status, csrf_token=session.csrf_token, rid=rid,
        error=error, error_values=values)


# -- Enrolment and removal (portal) --------------------------------------------------------

async def manage_page(request: Request) -> Response:
    session = await logged_in_session(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return await _manage_form(request, session, [])


@form_post(admit=require_login)
async def manage_submit(request: Request, session: SessionState, form: FormData) -> Response:
    hub = hub_of(request)
    rt = hub.rt
    account = session.account
    assert account is not None  # admitted by require_login
    code = str(form.get("code", ""))[:64]
    ip = request.client.host if request.client else None
    errors: list[tuple[str, str]] = []
    try:
        if not await current_password_ok(request, account,
                                         str(form.get("current_password", ""))):
            errors.append(("current_password", WRONG_PASSWORD))
    except Locked as locked:
        return await locked_out(request, session, locked)
    if form.get("action") == "enable":
        enrolment = _pending_enrolment(rt.keys, session)
        codes = None
        if enrolment is not None and not errors:
            codes = await rt.blocking(second_factor.enrol, rt, account.id, enrolment, code, ip)
        if codes is None:
            errors.append(("code", WRONG_CODE if code else MISSING_CODE))
            rt.audit.record("second_factor.enrolment_refused", account_id=account.id, ip=ip)
            return await _manage_form(request, session, errors, 400)
        session.data.pop("enrolment", None)
        session.data[CODES_KEY] = {
            "sealed": rt.keys.secret_box.encrypt("\n".join(codes).encode()).decode(),
            "until": rt.clock.now() + CODES_DOWNLOAD_SECONDS}
        await rt.blocking(hub.sessions.save, session)
        await _notify(request, account)
        return hub.pages.render(request, "second_factor_enabled.html", codes=codes,
                                csrf_token=session.csrf_token,
                                minutes=CODES_DOWNLOAD_SECONDS // 60)
    try:
        # A guess at the enrolled authenticator: counted like a wrong code at login.
        if not errors and not await current_code_ok(request, account, code):
            errors.append(("code", WRONG_CODE if code else MISSING_CODE))
    except Locked as locked:
        return await locked_out(request, session, locked)
    if errors:
        rt.audit.record("second_factor.removal_refused", account_id=account.id, ip=ip)
        return await _manage_form(request, session, errors, 400)
    session.data.pop(CODES_KEY, None)
    await rt.blocking(second_factor.remove, rt.db, rt.audit, account.id, "second_factor.removed",
                      ip)
    await _notify(request, account)
    return await _manage_form(request, session, [], removed=True)


@form_post(admit=require_login)
async def codes_download(request: Request, session: SessionState, form: FormData) -> Response:
    """"Télécharger": the recovery codes just generated, as a text file, while this session
    still holds them (CODES_DOWNLOAD_SECONDS); afterwards, or from another session, 410."""
    hub = hub_of(request)
    rt = hub.rt
    held = session.data.get(CODES_KEY)
    if not isinstance(held, dict) or int(held.get("until", 0)) <= rt.clock.now():
        if held is not None:
            session.data.pop(CODES_KEY, None)
            await rt.blocking(hub.sessions.save, session)
        return await _manage_form(request, session, [], 410, codes_gone=True)
    codes = rt.keys.secret_box.decrypt(str(held["sealed"]).encode()).decode().split("\n")
    account = session.account
    assert account is not None  # admitted by require_login
    locale = hub.pages.locale_of(request)
    gettext = hub.pages.catalogues.gettext
    text = gettext(locale, CODES_FILE_TEXT).format(username=account.username)
    body = "\r\n".join([text, "", *codes, ""])
    return Response(body.encode(), media_type="text/plain; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{gettext(locale, CODES_FILE)}"',
        "Cache-Control": "no-store"})


async def _manage_form(request: Request, session: SessionState, errors: list[tuple[str, str]],
                       status: int = 200, removed: bool = False, codes_gone: bool = False
                       ) -> Response:
    hub = hub_of(request)
    rt, account = hub.rt, session.account
    assert account is not None  # a logged-in session (logged_in_session, require_login)
    enrolled = await rt.blocking(second_factor.is_enrolled, rt.db, account.id)
    context: dict[str, Any] = {"enrolled": enrolled, "removed": removed,
                               "codes_gone": codes_gone}
    if enrolled:
        context["remaining"] = await rt.blocking(second_factor.remaining_recovery_codes,
                                                 rt.db, account.id)
    else:
        # One key per enrolment attempt, kept (encrypted) in the session until confirmed.
        enrolment = _pending_enrolment(rt.keys, session)
        if enrolment is None:
            enrolment = second_factor.new_enrolment()
            session.data["enrolment"] = rt.keys.secret_box.encrypt(
                enrolment.secret.encode()).decode()
            await rt.blocking(hub.sessions.save, session)
        locale = hub.pages.locale_of(request)
        title = hub.pages.catalogues.gettext(locale, N_("QR code to scan with your app"))
        context.update(manual_key=enrolment.manual_key,
                       qr_svg=enrolment.qr_svg(account.username, title))
    by_field: dict[str, list[str]] = {}
    for field, message in errors:
        by_field.setdefault(field, []).append(message)
    return hub.pages.render(request, "second_factor.html", status, account=account,
                            csrf_token=session.csrf_token, errors=errors, by_field=by_field,
                            **context)


def _pending_enrolment(keys: KeyStore, session: SessionState) -> second_factor.Enrolment | None:
    sealed = session.data.get("enrolment")
    if not sealed:
        return None
    return second_factor.Enrolment(keys.secret_box.decrypt(sealed.encode()).decode())


async def _notify(request: Request, account: Account) -> None:
    """The e-mail that follows every change of personal information (seed 001)."""
    rt = hub_of(request).rt
    email = account.email
    if not email:
        return
    notification = change_notification(request, account.username)

    def enqueue() -> None:
        with rt.db.transaction() as s:
            outbox_repo.enqueue(s, "email", email, notification.subject,
                                notification.body, rt.clock.now())

    await rt.blocking(enqueue)
