"""APA's API for the departments' software (JSON; bearer access tokens from the hub):

    POST /api/depots                 multipart field `fichier`: a call file → 201
    GET  /api/reponses               the response files available for withdrawal
    GET  /api/reponses/{id}          one response file (its first download is recorded)

A token is either a technical client's (client_credentials; its SIRET comes from
APA_TECHNICAL_CLIENTS) or a user's (its SIRET from the hub's userinfo). The rules are the
pages' rules: same checks, same messages, 404 for another department's file."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from clients.apa.callfile import CallFileError
from clients.apa.pages import file_response, sirets_of
from clients.apa.state import apa_of
from clients.apa.uploads import UploadRefused, read_upload, require_file
from clients.rp.bearer import BearerError, Caller


def _json_error(status: int, error: str, message: str, headers: dict[str, Any] | None = None,
                request: Request | None = None) -> JSONResponse:
    if request is not None:
        pages = apa_of(request).pages
        locale = pages.locale_of(request)
        text = pages.catalogues.gettext(locale, message)
        message = text.format(**getattr(message, "values", {}))
    return JSONResponse({"error": error, "message": message}, status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})


async def _caller(request: Request) -> tuple[Caller, set[str]] | Response:
    """The token's caller and its SIRETs, or the error to answer."""
    apa = apa_of(request)
    try:
        caller = await apa.bearer.verify(request)
        if caller.is_client:
            siret = apa.settings.sirets_of_clients.get(caller.client_id)
            sirets = {siret} if siret else set()
        else:
            sirets = sirets_of(await apa.bearer.userinfo(caller))
    except BearerError as error:
        return _json_error(error.status, error.error, error.description,
                           {"WWW-Authenticate": error.www_authenticate})
    if not sirets:
        return _json_error(403, "insufficient_scope", "This token is not linked to any SIRET.")
    return caller, sirets


def _who(caller: Caller) -> str:
    return caller.client_id if caller.is_client else caller.sub


async def deposit(request: Request) -> Response:
    called = await _caller(request)
    if isinstance(called, Response):
        return called
    caller, sirets = called
    apa = apa_of(request)
    try:
        upload = await read_upload(request, apa.settings.max_upload_bytes,
                                   apa.service.too_large())
        require_file(upload)
    except UploadRefused as refused:
        return _json_error(refused.status, refused.error, refused.message, request=request)
    try:
        made = await apa.blocking(apa.service.deposit, upload.name, upload.data, sirets,
                                  _who(caller))
    except CallFileError as error:
        return _json_error(400, "invalid_file", error.message, request=request)
    return JSONResponse({"id": made.id, "nom_externe": made.external_name,
                         "nom_interne": made.internal_name, "taille": made.size,
                         "sha256": made.sha256, "date_depot": made.deposited_at},
                        status_code=201, headers={"Cache-Control": "no-store"})


async def responses(request: Request) -> Response:
    called = await _caller(request)
    if isinstance(called, Response):
        return called
    _, sirets = called
    apa = apa_of(request)
    page_number = request.query_params.get("page", "1")
    page = await apa.blocking(apa.service.responses, sirets,
                              int(page_number) if page_number.isdigit() else 1)
    return JSONResponse({
        "page": page.number, "pages": page.count,
        "reponses": [{"id": r.id, "nom": r.name, "taille": r.size, "sha256": r.sha256,
                      "mise_a_disposition": r.available_at, "expiration": r.expires_at,
                      "premier_telechargement": r.first_download_at,
                      "url": f"{apa.settings.base_url}/api/reponses/{r.id}"}
                     for r in page.rows]}, headers={"Cache-Control": "no-store"})


async def download(request: Request) -> Response:
    called = await _caller(request)
    if isinstance(called, Response):
        return called
    caller, sirets = called
    apa = apa_of(request)
    found = await apa.blocking(apa.service.download, request.path_params["response_id"],
                               sirets, _who(caller))
    if found is None:
        return _json_error(404, "not_found", "No such response file.")
    return file_response(*found)
