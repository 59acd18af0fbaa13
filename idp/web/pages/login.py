"""The login page: identifier + password, argon2id verification off the event loop."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.storage.repositories import accounts as accounts_repo
from idp.web.cookies import session_id_from, set_session_cookie
from idp.web.messages import ERROR_MESSAGES, LOGIN_FAILED, LOGIN_MISSING

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


async def login_submit(request: Request) -> Response:
    hub = request.app.state.hub
    form = await request.form()
    session = await hub.rt.blocking(hub.sessions.load, session_id_from(request, hub.settings))
    if session is None or not session.csrf_valid(form.get("csrf_token")):  # type: ignore[arg-type]
        return hub.pages.render(request, "error.html", 403, **ERROR_MESSAGES["csrf"])
    username = str(form.get("username", "")).strip()[:MAX_FIELD]
    password = str(form.get("password", ""))[:MAX_FIELD * 4]
    rid = str(form.get("rid", "")) or None
    pending = session.get_pending(rid)
    _, client_name, ui_locales = _pending_details(hub, pending)
    ip = request.client.host if request.client else None
    if not username or not password:
        return hub.pages.render(request, "login.html", 400, ui_locales,
                                csrf_token=session.csrf_token, rid=rid, username=username,
                                error=LOGIN_MISSING, client_name=client_name)
    account = await hub.rt.blocking(_check_password, hub, username, password)
    if account is None:
        hub.rt.audit.record("login.failure", ip=ip, username=username)
        return hub.pages.render(request, "login.html", 401, ui_locales,
                                csrf_token=session.csrf_token, rid=rid, username=username,
                                error=LOGIN_FAILED, client_name=client_name)
    new = await hub.rt.blocking(hub.sessions.log_in, session, account,
                                  hub.settings.acr_default, ("pwd",))
    hub.rt.audit.record("login.success", account_id=account.id, ip=ip)
    target = f"/authorize/resume?rid={rid}" if pending else "/"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, hub.settings, new.id)
    return response


def _check_password(hub, username: str, password: str):  # type: ignore[no-untyped-def]
    rt = hub.rt
    with rt.db.read() as s:
        account = accounts_repo.find_by_username(s, username)
    # Verify even for an unknown or disabled account: same work, same time, same answer.
    ok = rt.passwords.verify(account.password_hash if account else None, password)
    if not ok or account is None or account.disabled:
        return None
    if rt.passwords.needs_rehash(account.password_hash):
        with rt.db.transaction() as s:
            accounts_repo.set_password_hash(s, account.id, rt.passwords.hash(password))
    return account


def _pending_details(hub, pending: dict | None):  # type: ignore[no-untyped-def]
    """(login_hint, client name, ui_locales) of the authorization request being served."""
    if not pending:
        return None, None, None
    params = dict(pending["params"])
    client = hub.rt.clients.get(params.get("client_id"))
    hint = params.get("login_hint")
    return (hint[:MAX_FIELD] if hint else None), (client.name if client else None), params.get(
        "ui_locales")
