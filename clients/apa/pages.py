"""APA's pages (seed 001): "Dépôt fichiers d'appel", "Retrait fichiers réponse",
"Historique des dépôts", "Historique des retraits", each showing the connection parameters
(identifier, SIRET). Login required; an account without a SIRET is refused plainly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from clients.apa.callfile import CallFileError
from clients.apa.service import human_size
from clients.apa.state import apa_of
from clients.apa.uploads import Upload, UploadRefused, read_upload, require_file
from clients.rp.forms import FormGuard
from clients.rp.sessions import UserSession
from sitekit.texts import N_

ERRORS = {
    "login_refused": (N_("Login not completed"),
                      N_("The identity hub did not confirm your login. Go back to the portal "
                         "and try again.")),
    "login_failed": (N_("Login not completed"),
                     N_("Your login could not be checked. Try again in a few moments.")),
    "no_siret": (N_("Access refused"),
                 N_("Your account is not linked to any SIRET: APA cannot be used with it. "
                    "Contact your organisation's assistance desk.")),
    "not_found": (N_("Page not found"), N_("The page you asked for does not exist.")),
    "csrf": (N_("Form expired"), N_("The form has expired or does not come from this site. "
                                    "Reload the page and start again.")),
}
DEPOSIT_DONE = N_("File deposited: deposit identifier {id}. Its response file will be "
                  "available in “Retrait fichiers réponse”.")


def sirets_of(claims: dict[str, Any]) -> set[str]:
    value = claims.get("siret")
    values = value if isinstance(value, list) else [value]
    return {str(v) for v in values if v}


def who(claims: dict[str, Any]) -> str:
    return str(claims.get("preferred_username") or claims.get("email") or claims["sub"])


def day(timestamp: int | None) -> str:
    """27/11/2026: short enough for the tables to fit (the cells never wrap it)."""
    return "" if timestamp is None else datetime.fromtimestamp(timestamp, UTC).strftime(
        "%d/%m/%Y")


def moment(timestamp: int) -> str:
    """27/11/2026 23:40 (UTC, as every date of APA's pages)."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d/%m/%Y %H:%M")


async def _user(request: Request) -> tuple[UserSession | None, Response | None]:
    """(session, None) for a logged-in user with a SIRET; else (None, response)."""
    apa = apa_of(request)
    session = await apa.login.current_user(request)
    if session is None:
        return None, apa.login.login_redirect(request)
    if not sirets_of(session.claims):
        return None, _error(request, "no_siret", 403)
    return session, None


async def _logged_in(request: Request) -> UserSession | Response:
    """The session of a logged-in user with a SIRET, or the response for anyone else."""
    session, refusal = await _user(request)
    if refusal is not None:
        return refusal
    assert session is not None  # _user answers one or the other
    return session


def _render(request: Request, name: str, session: UserSession, status: int = 200,
            **context: Any) -> Response:
    apa = apa_of(request)
    return apa.pages.render(request, name, status, identifier=who(session.claims),
                            sirets=sorted(sirets_of(session.claims)), csrf_token=session.csrf,
                            current=request.url.path, human_size=human_size, day=day,
                            moment=moment, **context)


def _error(request: Request, reason: str, status: int) -> Response:
    title, message = ERRORS[reason]
    return apa_of(request).pages.render(request, "error.html", status, title=title,
                                        message=message)


# Every form of APA: a logged-in user with a SIRET, the session's CSRF token (clients/rp/forms.py).
form_post = FormGuard(admit=_user, refuse=lambda request: _error(request, "csrf", 403))


def login_error(request: Request, reason: str) -> Response:
    return _error(request, reason, 400)


async def not_found(request: Request, exc: Exception) -> Response:
    return _error(request, "not_found", 404)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def home(request: Request) -> Response:
    apa = apa_of(request)
    if apa.login.just_logged_out(request):  # back from the hub's logout (post_logout_redirect_uri)
        return apa.pages.render(request, "logged_out.html", 200)
    session = await _logged_in(request)
    if isinstance(session, Response):
        return session
    return RedirectResponse("/depot", status_code=303)


# Deposit ---------------------------------------------------------------------------------

async def deposit_page(request: Request) -> Response:
    session = await _logged_in(request)
    if isinstance(session, Response):
        return session
    apa = apa_of(request)
    done = None
    if request.query_params.get("depot"):
        done = await apa.blocking(apa.service.find_deposit, request.query_params["depot"],
                                  sirets_of(session.claims))
    return _render(request, "deposit.html", session, done=done,
                   max_size=human_size(apa.settings.max_upload_bytes))


def _deposit_again(request: Request, session: UserSession, status: int, message: str
                   ) -> Response:
    return _render(request, "deposit.html", session, status, error=message,
                   max_size=human_size(apa_of(request).settings.max_upload_bytes))


async def _read_deposit(request: Request, session: UserSession) -> Upload | Response:
    """The call file and the form's fields, the file read up to the size limit."""
    apa = apa_of(request)
    try:
        return await read_upload(request, apa.settings.max_upload_bytes,
                                 apa.service.too_large())
    except UploadRefused as refused:
        return _deposit_again(request, session, refused.status, refused.message)


@form_post(read=_read_deposit)
async def deposit_submit(request: Request, session: UserSession, upload: Upload) -> Response:
    apa = apa_of(request)
    try:
        require_file(upload)
    except UploadRefused as refused:
        return _deposit_again(request, session, refused.status, refused.message)
    try:
        deposit = await apa.blocking(apa.service.deposit, upload.name, upload.data,
                                     sirets_of(session.claims), who(session.claims))
    except CallFileError as error:
        return _deposit_again(request, session, 400, error.message)
    return RedirectResponse(f"/depot?depot={deposit.id}", status_code=303)


# Withdrawal and histories ----------------------------------------------------------------

def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() else 1


async def withdrawal_page(request: Request) -> Response:
    session = await _logged_in(request)
    if isinstance(session, Response):
        return session
    apa = apa_of(request)
    page = await apa.blocking(apa.service.responses, sirets_of(session.claims),
                              _page_number(request))
    return _render(request, "withdrawal.html", session, page=page,
                   days=apa.settings.response_days)


async def withdrawal_download(request: Request) -> Response:
    session = await _logged_in(request)
    if isinstance(session, Response):
        return session
    apa = apa_of(request)
    found = await apa.blocking(apa.service.download, request.path_params["response_id"],
                               sirets_of(session.claims), who(session.claims))
    if found is None:  # expired, unknown or another department's: the same answer
        return _error(request, "not_found", 404)
    return file_response(*found)


def file_response(name: str, data: bytes) -> Response:
    return Response(data, media_type="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


async def deposit_history(request: Request) -> Response:
    session = await _logged_in(request)
    if isinstance(session, Response):
        return session
    apa = apa_of(request)
    period = "veille" if request.query_params.get("periode") == "veille" else "12mois"
    since = 1 if period == "veille" else apa.settings.history_days
    page = await apa.blocking(apa.service.deposit_history, sirets_of(session.claims), since,
                              _page_number(request))
    return _render(request, "deposit_history.html", session, page=page, period=period)


async def download_history(request: Request) -> Response:
    session = await _logged_in(request)
    if isinstance(session, Response):
        return session
    apa = apa_of(request)
    page = await apa.blocking(apa.service.download_history, sirets_of(session.claims),
                              _page_number(request))
    return _render(request, "download_history.html", session, page=page)
