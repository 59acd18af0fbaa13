""""Mes informations personnelles" (seed 004 §8), `/compte/informations`: the identity an FI
transmitted, read-only with its name; contact details (links to their own pages) and the
postal address, editable. The form's POST reads the address's fields only: a field naming
an identity item is never read, so it changes nothing (idp/portal/personal_info.py)."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp.accounts import address
from idp.portal.personal_info import identity_of, update_address
from idp.web.hub import hub_of
from idp.web.messages import ERROR_MESSAGES
from idp.web.pages.form_guard import form_post, require_login
from idp.web.sessions import SessionState

INFORMATION_PAGE = "/compte/informations"
MAX_FIELD = 1024  # beyond any component's bound: refused as a bad request, not measured


async def information_page(request: Request) -> Response:
    hub = hub_of(request)
    session = await hub.load_session(request)
    if session is None or session.account is None:
        return RedirectResponse("/login", status_code=303)
    saved = request.query_params.get("enregistre") == "1"
    return await _page(request, session, saved=saved)


async def _page(request: Request, session: SessionState, status: int = 200,
                errors: list[tuple[str, str, dict[str, object]]] | None = None,
                values: dict[str, str] | None = None, saved: bool = False) -> Response:
    hub = hub_of(request)
    account = session.logged_in_account
    identity = await hub.rt.blocking(identity_of, hub.rt.db, account)
    provider = hub.rt.providers.get(identity.provider_id) if identity and \
        identity.provider_id else None
    current = values if values is not None else {
        field: getattr(account, field) or "" for field in address.FIELDS}
    by_field = {field: (message, extra) for field, message, extra in errors or []}
    return hub.pages.render(
        request, "personal_info.html", status, account=account, identity=identity,
        provider_name=provider.display_name if provider else None,
        csrf_token=session.csrf_token, address=current, errors=errors or [],
        by_field=by_field, saved=saved,
        limits={c.field: c.max_length for c in address.COMPONENTS})


@form_post(admit=require_login)
async def information_submit(request: Request, session: SessionState,
                             form: FormData) -> Response:
    hub = hub_of(request)
    values: dict[str, str] = {}
    for field in address.FIELDS:
        given = form.getlist(field)
        value = given[0] if given else ""
        if len(given) > 1 or not isinstance(value, str) or len(value) > MAX_FIELD:
            return hub.pages.render(request, "error.html", 400, **ERROR_MESSAGES["bad_input"])
        values[field] = value
    errors = await hub.rt.blocking(update_address, hub.rt.db, hub.rt.audit,
                                   session.logged_in_account.id, values)
    if errors:
        return await _page(request, session, 400, errors=errors, values=values)
    return RedirectResponse(INFORMATION_PAGE + "?enregistre=1", status_code=303)
