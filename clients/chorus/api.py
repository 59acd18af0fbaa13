"""The invoice API, shaped like Chorus Pro's (CHORUS.md): every call a POST of JSON to
`/cpro/{family}/v1/{path}` with a bearer access token from the hub (audience `chorus-api`),
checked locally then by cached introspection (clients/rp/bearer.py).

    POST /cpro/factures/v1/rechercher/recipiendaire    search (paging, changed since)
    POST /cpro/factures/v1/consulter/recipiendaire     one invoice
    POST /cpro/factures/v1/consulter/historique        its statuses, newest first
    POST /cpro/factures/v1/telecharger/groupe          one or several, base64
    POST /cpro/factures/v1/traiter/recue               change its status
    POST /cpro/transverses/v1/recuperer/etats/traitement   statuses reachable from one
    GET  /cpro/transverses/v1/health-check

A technical user (client_credentials) acts for its structure with the main manager's
rights; a person's token per their role (consultation or modification). Another
structure's invoice answers as an unknown one: 404, codeRetour 20003."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clients.chorus.pages import name_of
from clients.chorus.service import (
    Actor,
    Forbidden,
    NotFound,
    Scope,
    b64,
    bundle,
    euros,
)
from clients.chorus.state import chorus_of
from clients.chorus.statuses import STATUSES, TRANSITIONS, Refusal
from clients.chorus.storage import InvoiceQuery
from clients.rp.bearer import BearerError

MAX_BODY = 64 * 1024
MAX_PAGE_SIZE = 500
MAX_DOWNLOAD = 100
SORTS = {"IdFacture": "id", "NumeroFacture": "number", "DateDepot": "deposited_at",
         "DateFacture": "invoice_date", "DateHeureEtatCourant": "status_at",
         "MontantTTC": "amount_ttc", "Statut": "status"}

# codeRetour values: 0 done, 20000 no result (not an error, CHORUS.md), the rest refusals.
OK, NO_RESULT, INVALID, NOT_FOUND, REFUSED, FORBIDDEN = 0, 20000, 20001, 20003, 20002, 20004


class ApiError(Exception):
    def __init__(self, status: int, code: int, error: str, libelle: str) -> None:
        super().__init__(libelle)
        self.status, self.code, self.error, self.libelle = status, code, error, libelle


def _answer(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _refusal(error: ApiError) -> JSONResponse:
    return _answer({"codeRetour": error.code, "erreur": error.error, "libelle": error.libelle},
                   error.status)


Operation = Callable[[Request, Scope, Actor, dict[str, Any]], Awaitable[dict[str, Any]]]


def _operation(run: Operation) -> Callable[[Request], Awaitable[Response]]:
    """Token checked, body read as a JSON object (bounded), the operation's refusals
    answered in the API's shape."""

    async def endpoint(request: Request) -> Response:
        chorus = chorus_of(request)
        try:
            caller = await chorus.bearer.verify(request)
        except BearerError as error:
            return JSONResponse({"error": error.error, "error_description": error.description},
                                status_code=error.status,
                                headers={"WWW-Authenticate": error.www_authenticate,
                                         "Cache-Control": "no-store"})
        try:
            if caller.is_client:
                scope = await chorus.blocking(chorus.service.scope_of_technical_user,
                                              caller.client_id)
                actor = Actor(caller.client_id, caller.client_id)
            else:
                scope = await chorus.blocking(chorus.service.scope_of_person, caller.sub)
                claims = await chorus.bearer.userinfo(caller)
                actor = Actor(caller.sub, name_of({"sub": caller.sub, **claims}))
            if scope is None or not scope.readable:
                raise ApiError(403, FORBIDDEN, "AUCUNE_STRUCTURE",
                               "Ce jeton n'est rattaché à aucune structure.")
            body = await _json_body(request)
            return _answer(await run(request, scope, actor, body))
        except ApiError as error:
            return _refusal(error)
        except NotFound:
            return _refusal(ApiError(404, NOT_FOUND, "FACTURE_INTROUVABLE",
                                     "Aucune facture de ce numéro pour vos structures."))
        except Forbidden:
            return _refusal(ApiError(403, FORBIDDEN, "DROIT_INSUFFISANT",
                                     "Vos droits sur cette structure sont de consultation."))
        except Refusal as refusal:
            return _refusal(ApiError(400, REFUSED, refusal.code, refusal.message))

    return endpoint


async def _json_body(request: Request) -> dict[str, Any]:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise ApiError(413, INVALID, "REQUETE_TROP_GRANDE",
                           f"La requête dépasse {MAX_BODY // 1024} Ko.")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, INVALID, "JSON_INVALIDE",
                       "Le corps de la requête n'est pas du JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, INVALID, "JSON_INVALIDE", "Le corps doit être un objet JSON.")
    return body


# Reading the request's fields -------------------------------------------------------------

def _int(body: dict[str, Any], name: str, required: bool = False) -> int | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(400, INVALID, "CHAMP_OBLIGATOIRE", f"Le champ {name} est obligatoire.")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit() \
            or len(str(value)) > 12:
        raise ApiError(400, INVALID, "CHAMP_INVALIDE", f"Le champ {name} doit être un entier.")
    return int(value)


def _text(body: dict[str, Any], name: str, limit: int = 255) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise ApiError(400, INVALID, "CHAMP_INVALIDE",
                       f"Le champ {name} doit être un texte d'au plus {limit} caractères.")
    return value


def _moment(body: dict[str, Any], name: str) -> int | None:
    value = _text(body, name, 40)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        raise ApiError(400, INVALID, "CHAMP_INVALIDE", f"Le champ {name} doit être une date "
                       "et heure ISO 8601 (AAAA-MM-JJTHH:MM:SS).") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def _day(body: dict[str, Any], name: str) -> str | None:
    value = _text(body, name, 10)
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ApiError(400, INVALID, "CHAMP_INVALIDE",
                       f"Le champ {name} doit être une date AAAA-MM-JJ.") from None


def _cents(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        return round(float(value) * 100)
    except (TypeError, ValueError, OverflowError):
        raise ApiError(400, INVALID, "CHAMP_INVALIDE",
                       f"Le champ {name} doit être un montant.") from None


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _invoice(invoice: Any, structures: dict[int, Any]) -> dict[str, Any]:
    structure = structures.get(invoice.structure_id)
    return {
        "idFacture": invoice.id, "numeroFacture": invoice.number,
        "idDestinataire": invoice.structure_id,
        "codeDestinataire": structure.identifier if structure else None,
        "designationDestinataire": structure.name if structure else None,
        "codeFournisseur": invoice.supplier_code,
        "designationFournisseur": invoice.supplier_name,
        "idServiceExecutant": invoice.service_id, "dateDepot": _iso(invoice.deposited_at)[:10],
        "dateFacture": invoice.invoice_date, "dateHeureEtatCourant": _iso(invoice.status_at),
        "devise": invoice.currency, "montantHT": euros(invoice.amount_ht),
        "montantTTC": euros(invoice.amount_ttc), "montantAPayer": euros(invoice.amount_ttc),
        "numeroBonCommande": invoice.order_number, "typeFacture": invoice.kind,
        "statut": invoice.status, "commentaireEtatCourant": invoice.status_comment,
        "numeroDPMandat": invoice.mandate_number,
        "factureTelechargeeParDestinataire": invoice.downloaded,
    }


async def _structures(request: Request, ids: set[int]) -> dict[int, Any]:
    chorus = chorus_of(request)
    return await chorus.blocking(chorus.service.structures, ids)


# Operations --------------------------------------------------------------------------------

async def search(request: Request, scope: Scope, actor: Actor, body: dict[str, Any]
                 ) -> dict[str, Any]:
    chorus = chorus_of(request)
    params = body.get("paramRecherche") or {}
    if not isinstance(params, dict):
        raise ApiError(400, INVALID, "CHAMP_INVALIDE", "paramRecherche doit être un objet.")
    size = _int(params, "nbResultatsParPage") or chorus.settings.page_size
    page = _int(params, "pageResultatDemandee") or 1
    if size > MAX_PAGE_SIZE or page > 100_000:
        raise ApiError(400, INVALID, "CHAMP_INVALIDE",
                       f"nbResultatsParPage vaut au plus {MAX_PAGE_SIZE}.")
    sort = SORTS.get(str(params.get("triColonne") or "DateHeureEtatCourant"))
    if sort is None:
        raise ApiError(400, INVALID, "CHAMP_INVALIDE",
                       "triColonne : " + ", ".join(SORTS) + ".")
    statuses = body.get("statutCourant") or []
    statuses = [statuses] if isinstance(statuses, str) else statuses
    if not isinstance(statuses, list) or any(s not in STATUSES for s in statuses):
        raise ApiError(400, INVALID, "STATUT_INCONNU", "statutCourant : un statut connu.")
    structure_id = _int(body, "idDestinataire")
    ids = scope.readable if structure_id is None else scope.readable & {structure_id}
    downloaded = body.get("factureTelechargeeParDestinataire")
    query = InvoiceQuery(
        frozenset(ids), number=_text(body, "numeroFacture", 40), statuses=tuple(statuses),
        status_from=_moment(body, "periodeDateHeureEtatCourantDu"),
        status_to=_moment(body, "periodeDateHeureEtatCourantAu"),
        deposited_from=_day_start(_day(body, "periodeDateDepotDu")),
        deposited_to=_day_end(_day(body, "periodeDateDepotAu")),
        invoice_date_from=_day(body, "periodeDateFactureDu"),
        invoice_date_to=_day(body, "periodeDateFactureAu"),
        ttc_min=_cents(body, "montantTTCMin"), ttc_max=_cents(body, "montantTTCMax"),
        order_number=_text(body, "numeroBonCommande", 40),
        service_id=_int(body, "idServiceExecutant"),
        downloaded=downloaded if isinstance(downloaded, bool) else None,
        sort=sort, descending=params.get("triSens") == "Descendant")
    found = await chorus.blocking(chorus.service.search, query, page, size)
    structures = await _structures(request, {i.structure_id for i in found.rows})
    return {"codeRetour": OK if found.total else NO_RESULT,
            "libelle": "GCU_MSG_01_000" if found.total else "Aucun résultat",
            "pageCourante": found.number, "pages": found.count, "total": found.total,
            "nbResultatsParPage": size,
            "listeFactures": [_invoice(i, structures) for i in found.rows]}


def _day_start(day: str | None) -> int | None:
    return None if day is None else int(datetime.fromisoformat(day).replace(
        tzinfo=UTC).timestamp())


def _day_end(day: str | None) -> int | None:
    start = _day_start(day)
    return None if start is None else start + 86399


async def consult(request: Request, scope: Scope, actor: Actor, body: dict[str, Any]
                  ) -> dict[str, Any]:
    chorus = chorus_of(request)
    found = await chorus.blocking(chorus.service.invoice, scope.readable,
                                  _int(body, "idFacture", required=True))
    structures = await _structures(request, {found.structure_id})
    return {"codeRetour": OK, "libelle": "GCU_MSG_01_000", "facture": _invoice(found, structures)}


async def history(request: Request, scope: Scope, actor: Actor, body: dict[str, Any]
                  ) -> dict[str, Any]:
    chorus = chorus_of(request)
    invoice_id = _int(body, "idFacture", required=True)
    assert invoice_id is not None
    entries = await chorus.blocking(chorus.service.history, scope.readable, invoice_id)
    return {"codeRetour": OK, "libelle": "GCU_MSG_01_000", "idFacture": invoice_id,
            "historiquesDesStatuts": {"histoStatut": [
                {"histoStatutCode": e.status, "histoStatutDatePassage": _iso(e.at),
                 "histoStatutCommentaire": e.comment, "histoStatutUtilisateurNom": e.by_name,
                 "histoStatutUtilisateurPrenom": None} for e in entries]}}


async def download(request: Request, scope: Scope, actor: Actor, body: dict[str, Any]
                   ) -> dict[str, Any]:
    chorus = chorus_of(request)
    listed = body.get("listeFacture")
    if not isinstance(listed, list) or not listed or len(listed) > MAX_DOWNLOAD or \
            not all(isinstance(x, dict) for x in listed):
        raise ApiError(400, INVALID, "CHAMP_OBLIGATOIRE",
                       f"listeFacture : 1 à {MAX_DOWNLOAD} objets {{idFacture}}.")
    ids = list(dict.fromkeys(_int(x, "idFacture", required=True) or 0 for x in listed))
    kind = str(body.get("format") or "PDF")
    if kind not in ("PDF", "ZIP"):
        raise ApiError(400, INVALID, "FORMAT_INCONNU", "format : PDF ou ZIP.")
    files = await chorus.blocking(chorus.service.download, scope.readable, ids)
    return {"codeRetour": OK, "libelle": "GCU_MSG_01_000",
            "format": "PDF" if kind == "PDF" and len(files) == 1 else "ZIP",
            "fichierResultat": b64(bundle(files, kind))}


async def process(request: Request, scope: Scope, actor: Actor, body: dict[str, Any]
                  ) -> dict[str, Any]:
    chorus = chorus_of(request)
    invoice_id = _int(body, "idFacture", required=True)
    new = _text(body, "nouveauStatut", 40)
    if new is None:
        raise ApiError(400, INVALID, "CHAMP_OBLIGATOIRE", "nouveauStatut est obligatoire.")
    motif = body.get("motif")
    number = body.get("numeroDPMandat")
    if (motif is not None and not isinstance(motif, str)) or (number is not None and \
            not isinstance(number, str | int)):
        raise ApiError(400, INVALID, "CHAMP_INVALIDE", "motif et numeroDPMandat : du texte.")
    done = await chorus.blocking(chorus.service.change_status, scope, invoice_id, new,
                                 motif[:10_000] if isinstance(motif, str) else None,
                                 None if number is None else str(number)[:1000], actor)
    return {"codeRetour": OK, "libelle": "GCU_MSG_01_000",
            "dateTraitement": _iso(done.status_at), "idFacture": done.id,
            "nouveauStatut": done.status, "numeroFacture": done.number}


async def reachable(request: Request, scope: Scope, actor: Actor, body: dict[str, Any]
                    ) -> dict[str, Any]:
    current = _text(body, "statutCourant", 40) or _text(body, "statut", 40)
    if current not in TRANSITIONS:
        raise ApiError(400, INVALID, "STATUT_INCONNU", "statutCourant : un statut connu.")
    return {"codeRetour": OK, "libelle": "GCU_MSG_01_000", "statutCourant": current,
            "listeStatutsPossibles": [{"statut": s} for s in TRANSITIONS[current]]}


async def health_check(request: Request) -> Response:
    return _answer({"codeRetour": OK, "libelle": "OK"})


def routes() -> list[Route]:
    factures, transverses = "/cpro/factures/v1", "/cpro/transverses/v1"
    return [
        Route(f"{factures}/rechercher/recipiendaire", _operation(search), methods=["POST"]),
        Route(f"{factures}/consulter/recipiendaire", _operation(consult), methods=["POST"]),
        Route(f"{factures}/consulter/historique", _operation(history), methods=["POST"]),
        Route(f"{factures}/telecharger/groupe", _operation(download), methods=["POST"]),
        Route(f"{factures}/traiter/recue", _operation(process), methods=["POST"]),
        Route(f"{transverses}/recuperer/etats/traitement", _operation(reachable),
              methods=["POST"]),
        Route(f"{transverses}/health-check", health_check, methods=["GET"]),
    ]
