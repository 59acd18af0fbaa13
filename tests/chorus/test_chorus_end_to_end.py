"""Chorus with a real hub: login, "Activités du gestionnaire" (last login, "Mes structures" 5
per page, creation), users attached, validated and detached, roles (a user is not a main
manager: 403; another structure: 404), invoices through the pages and through the API with
real tokens from the hub (a technical user's and a person's), every status rule through the
API, the connector run twice, a refused secret's exit code."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from clients.chorus.connector import CREDENTIALS, DONE, REFUSED
from tests.chorus.conftest import SIRET_A, Live
from tests.oidc_helpers import csrf_token

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("chorus")]
SEARCH = "/cpro/factures/v1/rechercher/recipiendaire"
PROCESS = "/cpro/factures/v1/traiter/recue"


def text(response: httpx.Response) -> str:
    return html.unescape(response.text)


def post_form(browser: httpx.Client, page_url: str, action: str, **fields: str
              ) -> httpx.Response:
    page = browser.get(page_url)
    return browser.post(action, data={"csrf_token": csrf_token(page.text), **fields})


def test_home_shows_my_structures_and_the_last_login(live: Live) -> None:
    browser = live.logged_in("manager")
    home = browser.get(live.url + "/")
    assert home.status_code == 200
    page = text(home)
    assert "Activités du gestionnaire" in page and "Mes structures" in page
    assert SIRET_A in page and "Syndicat des eaux du Val Clair" in page
    assert "Service des factures publiques" in page and "ACTIF" in page
    assert "Créer une nouvelle structure" in page
    assert re.search(r"Dernière connexion le \d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}", page)


def test_structures_are_listed_five_per_page(live: Live) -> None:
    browser = live.logged_in("newcomer")
    for n in range(6):
        siret = _siret(f"3100000000{n:03d}")
        made = post_form(browser, live.url + "/structures/nouvelle",
                         live.url + "/structures/nouvelle", type="SIRET", identifiant=siret,
                         raison_sociale=f"Régie n°{n}", code_service="", libelle_service="")
        assert made.status_code == 303, text(made)[:500]
    first, second = text(browser.get(live.url + "/")), text(browser.get(live.url + "/?page=2"))
    assert first.count("<td>Régie n°") == 5 and second.count("<td>Régie n°") == 1
    assert 'aria-current="page"' in first and "Page 2" in first


def _siret(base13: str) -> str:
    from sitekit.identifiers import luhn_valid

    return next(base13 + d for d in "0123456789" if luhn_valid(base13 + d))


@pytest.mark.parametrize(("fields", "message"), [
    ({"type": "SIRET", "identifiant": "25900096600021"}, "n'est pas valide"),
    ({"type": "SIRET", "identifiant": "x" * 5000}, "14 chiffres"),
    ({"type": "RIDET", "identifiant": "12"}, "10 chiffres"),
    ({"type": "SIRET", "identifiant": SIRET_A}, "existe déjà"),
    ({"type": "NOPE", "identifiant": SIRET_A}, "type d'identifiant"),
    ({"type": "SIRET", "identifiant": "31000000009996", "raison_sociale": "R\x00"},
     "Indiquez la raison sociale"),
    ({"type": "SIRET", "identifiant": "31000000009996", "raison_sociale": "R" * 101},
     "Indiquez la raison sociale"),
])
def test_a_structure_with_a_bad_identifier_is_refused(live: Live, fields, message) -> None:  # type: ignore[no-untyped-def]
    browser = live.logged_in("newcomer")
    made = post_form(browser, live.url + "/structures/nouvelle", live.url +
                     "/structures/nouvelle", **{"raison_sociale": "Régie test", **fields})
    assert made.status_code == 400
    assert message in text(made)


def test_another_structure_is_404_and_a_user_cannot_manage(live: Live) -> None:
    a, b = live.structures["A"], live.structures["B"]
    other = live.logged_in("manager_b")
    for path in (f"/structures/{a}", f"/structures/{a}/factures",
                 f"/structures/{a}/factures/{live.invoice()}", "/structures/999999"):
        assert other.get(live.url + path).status_code == 404, path
    own = other.get(live.url + f"/structures/{b}")
    attempt = other.post(live.url + f"/structures/{a}/techniques",
                         data={"csrf_token": csrf_token(own.text)})
    assert attempt.status_code == 404
    reader = live.logged_in("reader")
    sheet = reader.get(live.url + f"/structures/{a}")
    assert sheet.status_code == 200 and "Créer un utilisateur technique" not in text(sheet)
    for action in (f"/structures/{a}/techniques", f"/structures/{a}/utilisateurs",
                   f"/structures/{a}/techniques/{live.technical[0]}/mot-de-passe"):
        token = csrf_token(reader.get(live.url + "/").text)
        refused = reader.post(live.url + action, data={
            "csrf_token": token, "utilisateur": "x", "droits": "consultation"})
        assert refused.status_code == 403, action
        assert "gestionnaire principal" in text(refused)


def test_the_main_manager_attaches_validates_and_detaches(live: Live) -> None:
    a = live.structures["A"]
    manager, newcomer = live.logged_in("manager"), live.logged_in("newcomer")
    asked = post_form(newcomer, live.url + "/", live.url + "/structures/rattachement",
                      type="SIRET", identifiant=SIRET_A)
    assert asked.status_code == 303
    assert newcomer.get(live.url + f"/structures/{a}").status_code == 404  # not yet validated
    sheet = text(manager.get(live.url + f"/structures/{a}"))
    assert "en attente de validation" in sheet
    membership = re.search(r"/utilisateurs/(\d+)/valider", sheet).group(1)  # type: ignore[union-attr]
    done = post_form(manager, live.url + f"/structures/{a}",
                     live.url + f"/structures/{a}/utilisateurs/{membership}/valider",
                     droits="consultation")
    assert done.status_code == 303
    assert newcomer.get(live.url + f"/structures/{a}").status_code == 200
    gone = post_form(manager, live.url + f"/structures/{a}",
                     live.url + f"/structures/{a}/utilisateurs/{membership}/detacher")
    assert gone.status_code == 303
    assert newcomer.get(live.url + f"/structures/{a}").status_code == 404
    unknown = post_form(manager, live.url + f"/structures/{a}",
                        live.url + f"/structures/{a}/utilisateurs",
                        utilisateur="nobody@example.test", droits="consultation")
    assert unknown.status_code == 400 and "connectée une fois" in text(unknown)


def test_a_person_processes_an_invoice_through_the_pages(live: Live) -> None:
    a = live.structures["A"]
    invoice = live.invoice()
    writer = live.logged_in("writer")
    listed = text(writer.get(live.url + f"/structures/{a}/factures?statut=MISE_A_DISPOSITION"))
    assert "Fournitures Lumen" in listed
    page_url = live.url + f"/structures/{a}/factures/{invoice}"
    refused = post_form(writer, page_url, page_url + "/traiter", statut="REJETEE", motif="")
    assert refused.status_code == 400 and "MOTIF_OBLIGATOIRE" in text(refused)
    done = post_form(writer, page_url, page_url + "/traiter", statut="SUSPENDUE",
                     motif="Bon de commande absent")
    assert done.status_code == 303
    page = text(writer.get(page_url))
    assert "SUSPENDUE" in page and "Bon de commande absent" in page
    pdf = writer.get(page_url + "/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    reader = live.logged_in("reader")
    assert "Changer le statut" not in text(reader.get(page_url))
    refused = post_form(reader, live.url + "/", page_url + "/traiter", statut="REJETEE",
                        motif="x")
    assert refused.status_code == 403


# API -------------------------------------------------------------------------------------


def technical_token(live: Live) -> str:
    response = live.token(live.technical)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_api_search_consult_download_history_with_a_technical_users_token(live: Live) -> None:
    token = technical_token(live)
    invoice = live.invoice()
    foreign = live.invoice("B")
    found = live.api(token, SEARCH, {"numeroFacture": None, "paramRecherche": {
        "nbResultatsParPage": 500, "triColonne": "IdFacture", "triSens": "Descendant"}})
    assert found.status_code == 200, found.text
    ids = [f["idFacture"] for f in found.json()["listeFactures"]]
    assert invoice in ids and foreign not in ids
    first = found.json()["listeFactures"][0]
    assert first["codeDestinataire"] == SIRET_A and first["statut"] == "MISE_A_DISPOSITION"
    none = live.api(token, SEARCH, {"numeroFacture": "N-EXISTE-PAS"})
    assert none.status_code == 200 and none.json()["codeRetour"] == 20000
    consult = live.api(token, "/cpro/factures/v1/consulter/recipiendaire", {"idFacture": invoice})
    assert consult.json()["facture"]["designationFournisseur"] == "Fournitures Lumen"
    for path in ("/cpro/factures/v1/consulter/recipiendaire",
                 "/cpro/factures/v1/consulter/historique"):
        hidden = live.api(token, path, {"idFacture": foreign})
        assert hidden.status_code == 404 and hidden.json()["codeRetour"] == 20003
    one = live.api(token, "/cpro/factures/v1/telecharger/groupe",
                   {"listeFacture": [{"idFacture": invoice}], "format": "PDF"})
    assert base64.b64decode(one.json()["fichierResultat"]).startswith(b"%PDF-")
    other = live.invoice()  # a second invoice of the same structure, whatever ran before
    several = live.api(token, "/cpro/factures/v1/telecharger/groupe", {
        "listeFacture": [{"idFacture": invoice}, {"idFacture": other}], "format": "ZIP"})
    names = zipfile.ZipFile(io.BytesIO(base64.b64decode(several.json()["fichierResultat"])))
    assert len(names.namelist()) == 2
    assert live.api(token, "/cpro/factures/v1/telecharger/groupe", {
        "listeFacture": [{"idFacture": invoice}, {"idFacture": foreign}]}).status_code == 404
    downloaded = live.api(token, "/cpro/factures/v1/consulter/recipiendaire",
                          {"idFacture": invoice}).json()["facture"]
    assert downloaded["factureTelechargeeParDestinataire"] is True


def test_every_status_rule_through_the_api(live: Live) -> None:
    token = technical_token(live)
    invoice = live.invoice()

    def change(new: str, **extra: str) -> httpx.Response:
        return live.api(token, PROCESS, {"idFacture": invoice, "nouveauStatut": new, **extra})

    for new, extra, error in [
        ("REJETEE", {}, "MOTIF_OBLIGATOIRE"), ("SUSPENDUE", {"motif": " "}, "MOTIF_OBLIGATOIRE"),
        ("REJETEE", {"motif": "x" * 256}, "MOTIF_INVALIDE"),
        ("MANDATEE", {}, "NUMERO_DP_MANDAT_OBLIGATOIRE"),
        ("COMPLETEE", {}, "TRANSITION_INTERDITE"), ("PAYEE", {}, "STATUT_INCONNU"),
        ("SERVICE_FAIT", {"numeroDPMandat": "DP-1"}, "NUMERO_DP_MANDAT_INATTENDU"),
    ]:
        refused = change(new, **extra)
        assert refused.status_code == 400, (new, refused.text)
        assert refused.json()["erreur"] == error
    assert change("SERVICE_FAIT").status_code == 200
    done = change("MANDATEE", numeroDPMandat="DP-2026-0042")
    assert done.status_code == 200 and done.json()["nouveauStatut"] == "MANDATEE"
    assert change("MISE_EN_PAIEMENT").status_code == 200
    late = change("MANDATEE", numeroDPMandat="DP-2")
    assert late.status_code == 400 and late.json()["erreur"] == "TRANSITION_INTERDITE"
    history = live.api(token, "/cpro/factures/v1/consulter/historique", {"idFacture": invoice})
    codes = [h["histoStatutCode"] for h in history.json()["historiquesDesStatuts"]["histoStatut"]]
    assert codes == ["MISE_EN_PAIEMENT", "MANDATEE", "SERVICE_FAIT", "MISE_A_DISPOSITION"]
    reachable = live.api(token, "/cpro/transverses/v1/recuperer/etats/traitement",
                         {"statutCourant": "MISE_A_DISPOSITION"})
    assert "SUSPENDUE" in [s["statut"] for s in reachable.json()["listeStatutsPossibles"]]
    foreign = live.api(token, PROCESS, {"idFacture": live.invoice("B"),
                                        "nouveauStatut": "SERVICE_FAIT"})
    assert foreign.status_code == 404


@pytest.mark.parametrize("body", [b"[1]", b"{", b"\x00\xff", b'{"idFacture": "1; DROP"}',
                                  b'{"idFacture": 1e999}', b"{" + b" " * 70_000 + b"}"])
def test_hostile_bodies_get_a_4xx(live: Live, body: bytes) -> None:
    response = httpx.post(live.url + "/cpro/factures/v1/consulter/recipiendaire", content=body,
                          headers={"Authorization": f"Bearer {technical_token(live)}",
                                   "Content-Type": "application/json"}, timeout=20)
    assert 400 <= response.status_code < 500, response.text


def test_api_refuses_missing_and_foreign_tokens_and_answers_health(live: Live) -> None:
    assert httpx.post(live.url + SEARCH, json={}).status_code == 401
    assert httpx.post(live.url + SEARCH, json={}, headers={
        "Authorization": "Bearer abc.def.ghi"}).status_code == 401
    health = httpx.get(live.url + "/cpro/transverses/v1/health-check")
    assert health.status_code == 200 and health.json()["codeRetour"] == 0
    stranger = live.hub.client(redirect_uris=[], grant_types=["client_credentials"],
                               scope="chorus.factures", audience=["chorus-api"])
    token = live.token((stranger.client["client_id"], stranger.secret or "")).json()
    refused = live.api(token["access_token"], SEARCH, {})
    assert refused.status_code == 403 and refused.json()["erreur"] == "AUCUNE_STRUCTURE"


# Connector ---------------------------------------------------------------------------------


def run_connector(live: Live, tmp: Path, client: tuple[str, str], changes: str | None = None
                  ) -> subprocess.CompletedProcess[str]:
    secret_file = tmp / "secret"
    secret_file.write_text(client[1] + "\n")
    args = [sys.executable, "-m", "clients.chorus.connector", "--dossier", str(tmp / "factures"),
            "--etat", str(tmp / "etat.json")]
    if changes is not None:
        (tmp / "statuts.csv").write_text(changes, encoding="utf-8")
        args += ["--statuts", str(tmp / "statuts.csv")]
    env = {"PATH": "/usr/bin:/bin", "CHORUS_CONNECTOR_HUB": live.hub.issuer,
           "CHORUS_CONNECTOR_API": live.url, "CHORUS_CONNECTOR_CLIENT_ID": client[0],
           "CHORUS_CONNECTOR_SECRET_FILE": str(secret_file)}
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120,
                          check=False, cwd=Path(__file__).resolve().parents[2])


def test_the_connector_fetches_and_processes_and_is_idempotent(live: Live, tmp_path: Path
                                                                ) -> None:
    invoice = live.invoice()
    changes = (f"idFacture;nouveauStatut;motif;numeroDPMandat\n{invoice};SERVICE_FAIT;;\n"
               f"{invoice};MANDATEE;;DP-77\n")
    first = run_connector(live, tmp_path, live.technical, changes)
    assert first.returncode == DONE, first.stderr
    report = json.loads(first.stdout)
    assert report["telechargees"] >= 1 and report["statuts_appliques"] == 2
    assert (tmp_path / "factures" / f"{invoice}.pdf").read_bytes().startswith(b"%PDF-")
    files = sorted(p.name for p in (tmp_path / "factures").iterdir())
    second = run_connector(live, tmp_path, live.technical, changes)
    assert second.returncode == DONE, second.stderr
    again = json.loads(second.stdout)
    assert again["telechargees"] == 0 and again["statuts_appliques"] == 0
    assert sorted(p.name for p in (tmp_path / "factures").iterdir()) == files
    state = json.loads((tmp_path / "etat.json").read_text())
    assert state["depuis"] and len(state["statuts_appliques"]) == 2
    newer = live.invoice()
    time.sleep(1)
    third = run_connector(live, tmp_path, live.technical,
                          changes + f"{newer};REJETEE;;\n")
    assert third.returncode == REFUSED and "MOTIF_OBLIGATOIRE" in third.stderr
    assert (tmp_path / "factures" / f"{newer}.pdf").exists()


def test_the_connector_stops_clearly_on_a_refused_secret(live: Live, tmp_path: Path) -> None:
    refused = run_connector(live, tmp_path, (live.technical[0], "not-the-secret"))
    assert refused.returncode == CREDENTIALS
    assert "Mettre à jour le mot de passe" in refused.stderr
    assert "not-the-secret" not in refused.stderr + refused.stdout


def test_api_with_peoples_tokens_follows_their_role(live: Live) -> None:
    """A person's access token (the one Chorus holds for their session, audience
    chorus-api): consultation reads but cannot change; modification can; another
    structure's invoice is 404."""
    def person_token(role: str) -> str:
        browser = live.logged_in(role)
        cookie = next(c.value for c in browser.cookies.jar if c.name == "chorus_session")
        session = live.chorus.sessions.load(cookie, int(time.time()))
        assert session is not None
        return session.access_token

    invoice = live.invoice()
    reader, writer = person_token("reader"), person_token("writer")
    found = live.api(reader, SEARCH, {"numeroFacture": None})
    assert found.status_code == 200 and found.json()["total"] >= 1
    refused = live.api(reader, PROCESS, {"idFacture": invoice, "nouveauStatut": "SERVICE_FAIT"})
    assert refused.status_code == 403 and refused.json()["erreur"] == "DROIT_INSUFFISANT"
    done = live.api(writer, PROCESS, {"idFacture": invoice, "nouveauStatut": "SERVICE_FAIT"})
    assert done.status_code == 200, done.text
    history = live.api(writer, "/cpro/factures/v1/consulter/historique", {"idFacture": invoice})
    assert history.json()["historiquesDesStatuts"]["histoStatut"][0][
        "histoStatutUtilisateurNom"] == "Camille Bernard"
    foreign = live.api(writer, "/cpro/factures/v1/consulter/recipiendaire",
                       {"idFacture": live.invoice("B")})
    assert foreign.status_code == 404
