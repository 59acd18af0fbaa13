"""Chorus's pages (seed 002): "Activités du gestionnaire" (last login, "Mes structures", 5
lines per page, "+ Créer une nouvelle structure"), a structure's sheet (services, users,
technical users and their password expiry, "Mettre à jour le mot de passe"), received
invoices. Login required; a structure the person does not belong to answers 404."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from clients.chorus.identifiers import TYPES
from clients.chorus.registration import RegistrationError
from clients.chorus.service import (
    RIGHTS,
    Access,
    Actor,
    ChorusService,
    Forbidden,
    FormError,
    NewSecret,
    NotFound,
    euros,
)
from clients.chorus.state import chorus_of
from clients.chorus.statuses import STATUSES, TRANSITIONS, Refusal
from clients.chorus.storage import InvoiceQuery
from clients.rp.forms import Fields, FormGuard, read_fields
from clients.rp.sessions import UserSession
from sitekit.texts import N_

ERRORS = {
    "login_refused": (N_("Login not completed"),
                      N_("The identity hub did not confirm your login. Go back to the portal "
                         "and try again.")),
    "login_failed": (N_("Login not completed"),
                     N_("Your login could not be checked. Try again in a few moments.")),
    "not_found": (N_("Page not found"), N_("The page you asked for does not exist.")),
    "forbidden": (N_("Access refused"),
                  N_("Only the structure's main manager may do this.")),
    "csrf": (N_("Form expired"), N_("The form has expired or does not come from this site. "
                                    "Reload the page and start again.")),
    "hub": (N_("Service unavailable"),
            N_("The identity hub did not answer the registration of the technical user. Try "
               "again in a few moments.")),
}
ROLE_LABELS = {"principal": N_("Main manager"), "utilisateur": N_("User")}
RIGHT_LABELS = {"consultation": N_("Consultation"), "modification": N_("Modification")}


def name_of(claims: dict[str, Any]) -> str:
    full = " ".join(str(claims.get(k) or "") for k in ("given_name", "family_name")).strip()
    return full or str(claims.get("name") or claims.get("preferred_username")
                       or claims.get("email") or claims["sub"])


def day(timestamp: int | None) -> str:
    return "" if timestamp is None else datetime.fromtimestamp(timestamp, UTC).strftime(
        "%d/%m/%Y")


def moment(timestamp: int | None) -> str:
    return "" if timestamp is None else datetime.fromtimestamp(timestamp, UTC).strftime(
        "%d/%m/%Y %H:%M:%S")


async def _user(request: Request) -> tuple[UserSession | None, Response | None]:
    chorus = chorus_of(request)
    session = await chorus.login.current_user(request)
    if session is None:
        return None, chorus.login.login_redirect(request)
    person = await chorus.blocking(
        chorus.service.seen, session.sub, session.claims.get("email"), name_of(session.claims),
        hashlib.sha256(session.id.encode()).hexdigest())
    session.extra["person"] = person
    return session, None


async def _logged_in(request: Request) -> UserSession | Response:
    session, refusal = await _user(request)
    if refusal is not None:
        return refusal
    assert session is not None
    return session


def _render(request: Request, name: str, session: UserSession, status: int = 200,
            **context: Any) -> Response:
    response = chorus_of(request).pages.render(
        request, name, status, person=session.extra["person"], csrf_token=session.csrf,
        current=request.url.path, day=day, moment=moment, euros=euros,
        role_labels=ROLE_LABELS, right_labels=RIGHT_LABELS, rights=RIGHTS, **context)
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(request: Request, reason: str, status: int) -> Response:
    title, message = ERRORS[reason]
    return chorus_of(request).pages.render(request, "error.html", status, title=title,
                                           message=message)


form_post = FormGuard(admit=_user, refuse=lambda request: _error(request, "csrf", 403))


def login_error(request: Request, reason: str) -> Response:
    return _error(request, reason, 400)


async def not_found(request: Request, exc: Exception) -> Response:
    return _error(request, "not_found", 404)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() and len(raw) < 7 else 1


def _actor(session: UserSession) -> Actor:
    return Actor(session.sub, name_of(session.claims))


Guarded = Callable[[], Awaitable[Response]]


async def _guarded(request: Request, run: Guarded) -> Response:
    """The service's refusals as pages: 404 (not theirs), 403 (not the main manager)."""
    try:
        return await run()
    except NotFound:
        return _error(request, "not_found", 404)
    except Forbidden:
        return _error(request, "forbidden", 403)
    except RegistrationError:
        return _error(request, "hub", 503)


# Home: "Activités du gestionnaire" -------------------------------------------------------

async def home(request: Request, error: FormError | None = None, status: int = 200
               ) -> Response:
    chorus = chorus_of(request)
    if chorus.login.just_logged_out(request):  # back from the hub's logout
        return chorus.pages.render(request, "logged_out.html", 200)
    session = await _logged_in(request)
    if isinstance(session, Response):
        return session
    page, services = await chorus.blocking(chorus.service.my_structures, session.sub,
                                           _page_number(request))
    pending = await chorus.blocking(chorus.service.pending_requests, session.sub)
    return _render(request, "home.html", session, status, page=page, services=services,
                   pending=pending, types=TYPES, error=error,
                   asked=bool(request.query_params.get("demande")))


async def new_structure(request: Request) -> Response:
    session = await _logged_in(request)
    if isinstance(session, Response):
        return session
    return _render(request, "structure_new.html", session, types=TYPES, form={})


@form_post(read=read_fields)
async def create_structure(request: Request, session: UserSession, posted: Fields) -> Response:
    chorus = chorus_of(request)
    form = posted.fields
    try:
        made = await chorus.blocking(
            chorus.service.create_structure, _actor(session), form.get("type", ""),
            form.get("identifiant", ""), form.get("raison_sociale", ""),
            form.get("code_service", ""), form.get("libelle_service", ""))
    except FormError as error:
        return _render(request, "structure_new.html", session, 400, types=TYPES, form=form,
                       error=error)
    return RedirectResponse(f"/structures/{made.id}", status_code=303)


@form_post(read=read_fields)
async def request_attachment(request: Request, session: UserSession, posted: Fields
                             ) -> Response:
    chorus = chorus_of(request)
    try:
        await chorus.blocking(chorus.service.request_attachment, session.sub,
                              posted.fields.get("type", ""), posted.fields.get("identifiant", ""))
    except FormError as error:
        return await home(request, error, 400)
    return RedirectResponse("/?demande=1", status_code=303)


# A structure's sheet ---------------------------------------------------------------------

async def structure(request: Request) -> Response:
    session = await _logged_in(request)
    if isinstance(session, Response):
        return session
    return await _sheet(request, session)


async def _sheet(request: Request, session: UserSession, status: int = 200,
                 error: FormError | None = None, secret: NewSecret | None = None) -> Response:
    chorus = chorus_of(request)

    async def run() -> Response:
        sheet = await chorus.blocking(chorus.service.sheet, session.sub,
                                      request.path_params["sid"])
        if secret is not None:
            return _render(request, "secret.html", session, sheet=sheet, secret=secret)
        return _render(request, "structure.html", session, status, sheet=sheet, error=error,
                       now=chorus.service.now())

    return await _guarded(request, run)


Action = Callable[[ChorusService, str, Mapping[str, Any], Mapping[str, str]], object]


def _structure_form(action: Action) -> Callable[[Request], Awaitable[Response]]:
    """A main manager's form on a structure's sheet: `action(service, sub, path, fields)`
    runs, then back to the sheet (a FormError: the sheet again with the message)."""

    @form_post(read=read_fields)
    async def handler(request: Request, session: UserSession, posted: Fields) -> Response:
        chorus = chorus_of(request)

        async def run() -> Response:
            try:
                await chorus.blocking(action, chorus.service, session.sub, request.path_params,
                                      posted.fields)
            except FormError as error:
                return await _sheet(request, session, 400, error)
            return RedirectResponse(f"/structures/{request.path_params['sid']}",
                                    status_code=303)

        return await _guarded(request, run)

    return handler


add_service = _structure_form(lambda service, sub, path, form: service.add_service(
    sub, path["sid"], form.get("code_service", ""), form.get("libelle_service", "")))
attach = _structure_form(lambda service, sub, path, form: service.attach(
    sub, path["sid"], form.get("utilisateur", ""), form.get("droits", "")))
validate = _structure_form(lambda service, sub, path, form: service.validate(
    sub, path["sid"], path["mid"], form.get("droits", "consultation")))
detach = _structure_form(lambda service, sub, path, form: service.detach(
    sub, path["sid"], path["mid"]))


# Technical users: the secret shown once ------------------------------------------------

@form_post(read=read_fields)
async def create_technical_user(request: Request, session: UserSession, posted: Fields
                                ) -> Response:
    chorus = chorus_of(request)

    async def run() -> Response:
        made = await chorus.blocking(chorus.service.create_technical_user, session.sub,
                                     request.path_params["sid"])
        return await _sheet(request, session, secret=made)

    return await _guarded(request, run)


@form_post(read=read_fields)
async def renew_secret(request: Request, session: UserSession, posted: Fields) -> Response:
    chorus = chorus_of(request)

    async def run() -> Response:
        renewed = await chorus.blocking(chorus.service.renew_secret, session.sub,
                                        request.path_params["sid"],
                                        request.path_params["client_id"])
        return await _sheet(request, session, secret=renewed)

    return await _guarded(request, run)


# Received invoices ---------------------------------------------------------------------

async def invoices(request: Request) -> Response:
    session = await _logged_in(request)
    if isinstance(session, Response):
        return session
    chorus = chorus_of(request)
    sid = request.path_params["sid"]
    status = request.query_params.get("statut", "")
    status = status if status in STATUSES else ""

    async def run() -> Response:
        access = await chorus.blocking(chorus.service.access, session.sub, sid)
        query = InvoiceQuery(frozenset({sid}), statuses=(status,) if status else (),
                             sort="status_at", descending=True)
        page = await chorus.blocking(chorus.service.search, query, _page_number(request),
                                     chorus.settings.page_size)
        return _render(request, "invoices.html", session, access=access, page=page,
                       statuses=STATUSES, chosen=status)

    return await _guarded(request, run)


async def invoice(request: Request, refusal: Refusal | None = None, status: int = 200
                  ) -> Response:
    session = await _logged_in(request)
    if isinstance(session, Response):
        return session
    return await _invoice_page(request, session, refusal, status)


async def _invoice_page(request: Request, session: UserSession, refusal: Refusal | None = None,
                        status: int = 200) -> Response:
    chorus = chorus_of(request)
    sid, fid = request.path_params["sid"], request.path_params["fid"]

    async def run() -> Response:
        access: Access = await chorus.blocking(chorus.service.access, session.sub, sid)
        found = await chorus.blocking(chorus.service.invoice, frozenset({sid}), fid)
        history = await chorus.blocking(chorus.service.history, frozenset({sid}), fid)
        return _render(request, "invoice.html", session, status, access=access,
                       invoice=found, history=history, reachable=TRANSITIONS[found.status],
                       refusal=refusal, done=bool(request.query_params.get("fait")))

    return await _guarded(request, run)


async def invoice_file(request: Request) -> Response:
    session = await _logged_in(request)
    if isinstance(session, Response):
        return session
    chorus = chorus_of(request)
    sid, fid = request.path_params["sid"], request.path_params["fid"]

    async def run() -> Response:
        await chorus.blocking(chorus.service.access, session.sub, sid)
        [(found, data)] = await chorus.blocking(chorus.service.download, frozenset({sid}), [fid])
        return Response(data, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{found.id}.pdf"',
            "Cache-Control": "no-store"})

    return await _guarded(request, run)


@form_post(read=read_fields)
async def process_invoice(request: Request, session: UserSession, posted: Fields) -> Response:
    chorus = chorus_of(request)
    sid, fid = request.path_params["sid"], request.path_params["fid"]
    form = posted.fields

    async def run() -> Response:
        scope = await chorus.blocking(chorus.service.scope_of_person, session.sub)
        if sid not in scope.readable:
            raise NotFound
        try:
            await chorus.blocking(chorus.service.change_status, scope, fid,
                                  form.get("statut", ""), form.get("motif"),
                                  form.get("numero_dp_mandat"), _actor(session))
        except Refusal as refusal:
            return await _invoice_page(request, session, refusal, 400)
        return RedirectResponse(f"/structures/{sid}/factures/{fid}?fait=1", status_code=303)

    return await _guarded(request, run)
