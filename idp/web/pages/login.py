"""The login page: identifier + password (argon2id off the event loop), throttled per
account and address; then the authenticator code when the account has one
(pages/second_factor.py); an expired password must be replaced before going on."""

from __future__ import annotations

import asyncio

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts import throttling
from idp.oidc.assurance import PASSWORD_AMR, acr_for
from idp.portal.home import password_status
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import second_factor as second_factor_repo
from idp.web.cookies import session_id_from, set_session_cookie
from idp.web.messages import (
    LOGIN_FAILED,
    LOGIN_LOCKED,
    LOGIN_MISSING,
    PASSWORD_EXPIRED_ASSISTANCE,
)
from idp.web.pages.contact import after_login_target
from idp.web.pages.form_guard import form_post
from idp.web.sessions import SessionState

MAX_FIELD = 256


async def login_page(request: Request) -> Response:
    hub = request.app.state.hub
    session = await hub.rt.blocking(hub.sessions.load, session_id_from(request, hub.settings))
    new_session = session is None
    if session is None:
        session = await hub.rt.blocking(hub.sessions.create)
    rid = request.query_params.get("rid")
    pending = session.get_pending(rid)
    login_hint, client_name, ui_locales = _pending_details(hub, pending)
    response = hub.pages.render(
        request, "login.html", ui_locales=ui_locales, csrf_token=session.csrf_token,
        rid=rid if pending else None, username=login_hint, client_name=client_name,
    )
    if new_session:
        set_session_cookie(response, hub.settings, session.id)
    return response


@form_post
async def login_submit(request: Request, session: SessionState, form: FormData) -> Response:
    hub = request.app.state.hub
    rt = hub.rt
    username = str(form.get("username", "")).strip()[:MAX_FIELD]
    password = str(form.get("password", ""))[:MAX_FIELD * 4]
    rid = str(form.get("rid", "")) or None
    pending = session.get_pending(rid)
    _, client_name, ui_locales = _pending_details(hub, pending)
    ip = request.client.host if request.client else None

    def again(status: int, error: str, **values: object) -> Response:
        return hub.pages.render(request, "login.html", status, ui_locales,
                                csrf_token=session.csrf_token, rid=rid, username=username,
                                error=error, error_values=values, client_name=client_name)

    if not username or not password:
        return again(400, LOGIN_MISSING)
    # Any login name in any case (seed 001); failures count for the account it designates.
    found = await rt.blocking(_find_account, hub, username)
    name = throttling.login_name(found[0], username, hub.settings.agent_domains)
    minutes = await locked_minutes(hub, name, ip)
    if minutes is not None:
        rt.audit.record("login.locked", ip=ip, identifier_hmac=_digest(hub, name))
        return again(429, LOGIN_LOCKED, minutes=minutes)
    now = rt.clock.now()
    account, enrolled = await rt.blocking(_check_password, hub, found, password)
    if account is None:
        rt.audit.record("login.failure", ip=ip, identifier_hmac=_digest(hub, name))
        minutes = await count_failure(hub, name, ip)
        if minutes is not None:
            return again(429, LOGIN_LOCKED, minutes=minutes)
        return again(401, LOGIN_FAILED)
    if enrolled:
        # The failure count is reset only once the second factor is right too.
        session.data["second_factor"] = {"account_id": account.id, "at": now, "rid": rid}
        await rt.blocking(hub.sessions.save, session)
        return RedirectResponse("/connexion/code", status_code=303)
    await rt.blocking(throttling.record_success, rt.db, hub.throttle_rules, name)
    return await after_authentication(request, session, account, rid, PASSWORD_AMR)


async def locked_minutes(hub, username: str, ip: str | None) -> int | None:  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
    """Minutes left of a lock on this identifier or address, None when not locked."""
    rt, now = hub.rt, hub.rt.clock.now()
    until = await rt.blocking(throttling.locked_until, rt.db, hub.throttle_rules, username, ip,
                              now)
    return None if until is None else max(1, -(-(until - now) // 60))


async def count_failure(hub, username: str, ip: str | None) -> int | None:  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
    """Count a wrong password or code, slow the answer down (without holding the event
    loop); the minutes of the lock when this failure set one, else None."""
    rt, rules = hub.rt, hub.throttle_rules
    failures = await rt.blocking(throttling.record_failure, rt.db, rules, username, ip,
                                 rt.clock.now())
    await asyncio.sleep(throttling.delay_for(failures, rules.max_delay))
    return max(1, rules.lock_for // 60) if failures >= rules.account_limit else None


async def after_authentication(request: Request, session, account, rid: str | None,  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
                               amr: tuple[str, ...]) -> Response:
    """Every factor checked: a new password first if it expired, then the login."""
    hub = request.app.state.hub
    rt, now = hub.rt, hub.rt.clock.now()
    status = password_status(rt.policies, account, now)
    if status.expires_at is not None and status.expires_at <= now:
        rt.audit.record("login.password_expired", account_id=account.id,
                        ip=request.client.host if request.client else None)
        if hub.settings.expired_password_action == "assistance":
            ui_locales = _pending_details(hub, session.get_pending(rid))[2]
            return hub.pages.render(request, "error.html", 403, ui_locales,
                                    **PASSWORD_EXPIRED_ASSISTANCE)
        # Verified, but not logged in until a new password is set (seed 001).
        session.data["expired"] = {"account_id": account.id, "at": now, "rid": rid,
                                   "amr": list(amr)}
        await rt.blocking(hub.sessions.save, session)
        return RedirectResponse("/compte/mot-de-passe-expire", status_code=303)
    return await complete_login(request, session, account,
                                rid if session.get_pending(rid) else None, amr)


async def complete_login(request: Request, session, account, rid: str | None,  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
                         amr: tuple[str, ...] = PASSWORD_AMR) -> Response:
    """Rotate the session to the authenticated one and go back to the request, or home."""
    hub = request.app.state.hub
    new = await hub.rt.blocking(hub.sessions.log_in, session, account,
                                acr_for(hub.settings, amr), amr)
    hub.rt.audit.record("login.success", account_id=account.id, amr=" ".join(amr),
                        ip=request.client.host if request.client else None)
    target = f"/authorize/resume?rid={rid}" if rid else "/"
    # A portal account without a mobile number is first invited to add one (seed 000).
    target = after_login_target(account, target, hub.rt.clock.now())
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, hub.settings, new.id)
    return response


def _find_account(hub, typed: str):  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
    """(account or None, has a second factor) for the login name typed."""
    with hub.rt.db.read() as s:
        account = accounts_repo.find_by_login(s, typed)
        # The second-factor lookup runs for an unknown identifier too (id 0 matches
        # nothing): the same queries whether the account exists or not (issue 10, finding 4).
        authenticator = second_factor_repo.get(s, account.id if account is not None else 0)
        return account, account is not None and authenticator is not None


def _check_password(hub, found, password: str):  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
    """(account, has a second factor) when the password is right; (None, False) otherwise."""
    rt = hub.rt
    account, enrolled = found
    # Verify even for an unknown or disabled account: same work, same time, same answer.
    ok = rt.passwords.verify(account.password_hash if account else None, password)
    if not ok or account is None or account.disabled:
        return None, False
    if rt.passwords.needs_rehash(account.password_hash):
        with rt.db.transaction() as s:
            accounts_repo.set_password_hash(s, account.id, rt.passwords.hash(password))
    return account, enrolled


def _digest(hub, username: str) -> str:
    """What the audit trail keeps of a typed identifier: never the text, which may be a
    password typed in the wrong field (issue 10, finding 5), but its keyed hash."""
    return throttling.identifier_digest(hub.throttle_rules.identifier_key, username)


def _pending_details(hub, pending: dict | None):  # type: ignore[no-untyped-def]  # untyped runtime/hub/session args until issue 11 types them
    """(login_hint, client name, ui_locales) of the authorization request being served."""
    if not pending:
        return None, None, None
    params = dict(pending["params"])
    client = hub.rt.clients.get(params.get("client_id"))
    hint = params.get("login_hint")
    return (hint[:MAX_FIELD] if hint else None), (client.name if client else None), params.get(
        "ui_locales")
