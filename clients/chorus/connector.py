"""`chorus-connector`: what a structure's IT service runs (seed 002: "le connecteur qui vous
permet de traiter les factures"), as the technical user of its structure.

    chorus-connector --dossier FACTURES --etat etat.json [--statuts changements.csv]

Configuration (never on the command line, where `ps` shows it):
    CHORUS_CONNECTOR_HUB            the hub's issuer URL
    CHORUS_CONNECTOR_API            Chorus's URL
    CHORUS_CONNECTOR_CLIENT_ID      the technical user's identifier (client_id)
    CHORUS_CONNECTOR_CLIENT_SECRET  its password, or
    CHORUS_CONNECTOR_SECRET_FILE    a file holding it (first line)

One run: a token from the hub (client_credentials), the invoices whose status changed since
the last run (kept in the state file) fetched page by page, each one not yet in the folder
downloaded (`<idFacture>.pdf`, written atomically), then the status changes of the CSV
(`idFacture;nouveauStatut;motif;numeroDPMandat`, a header line) applied once each (those
already applied are remembered). Run twice, it does nothing more the second time.

Exit status: 0 done; 1 some status changes refused (each told on stderr); 2 configuration;
3 the hub refused the technical user's secret (expired, or replaced by "Mettre à jour le mot
de passe"); 4 the hub or Chorus unavailable."""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

DONE, REFUSED, CONFIGURATION, CREDENTIALS, UNAVAILABLE = 0, 1, 2, 3, 4
PAGE_SIZE = 100


class Stop(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Config:
    hub: str
    api: str
    client_id: str
    secret: str


def config_from(env: Mapping[str, str]) -> Config:
    missing = [n for n in ("CHORUS_CONNECTOR_HUB", "CHORUS_CONNECTOR_API",
                           "CHORUS_CONNECTOR_CLIENT_ID") if not env.get(n)]
    if missing:
        raise Stop(CONFIGURATION, "missing setting: " + ", ".join(missing))
    secret = env.get("CHORUS_CONNECTOR_CLIENT_SECRET", "")
    if not secret and env.get("CHORUS_CONNECTOR_SECRET_FILE"):
        try:
            lines = Path(env["CHORUS_CONNECTOR_SECRET_FILE"]).read_text().splitlines()
        except OSError as exc:
            raise Stop(CONFIGURATION, f"CHORUS_CONNECTOR_SECRET_FILE: {exc.strerror}") from None
        secret = lines[0].strip() if lines else ""
    if not secret:
        raise Stop(CONFIGURATION, "give the technical user's password in "
                                  "CHORUS_CONNECTOR_CLIENT_SECRET or CHORUS_CONNECTOR_SECRET_FILE")
    return Config(env["CHORUS_CONNECTOR_HUB"].rstrip("/"), env["CHORUS_CONNECTOR_API"].rstrip("/"),
                  env["CHORUS_CONNECTOR_CLIENT_ID"], secret)


class Connector:
    def __init__(self, config: Config, folder: Path, state_file: Path,
                 http: httpx.Client | None = None) -> None:
        self.config = config
        self.folder = folder
        self.state_file = state_file
        self.http = http or httpx.Client(timeout=30)
        self.token = ""
        self.state: dict[str, Any] = {"depuis": None, "statuts_appliques": []}
        self.report: dict[str, Any] = {"vues": 0, "telechargees": 0, "statuts_appliques": 0,
                                       "statuts_refuses": 0}

    def run(self, changes: Path | None) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.state_file.exists():
            try:
                self.state.update(json.loads(self.state_file.read_text()))
            except (OSError, ValueError):
                raise Stop(CONFIGURATION, f"{self.state_file}: unreadable state file") from None
        self.token = self._token()
        self._fetch()
        status = self._apply(changes) if changes is not None else DONE
        self._save()
        return status

    def _token(self) -> str:
        try:
            response = self.http.post(f"{self.config.hub}/token", data={
                "grant_type": "client_credentials"},
                auth=(self.config.client_id, self.config.secret))
        except httpx.HTTPError as exc:
            raise Stop(UNAVAILABLE, f"the hub cannot be reached ({type(exc).__name__})") from None
        if response.status_code in (400, 401) and _json(response).get("error") == \
                "invalid_client":
            description = str(_json(response).get("error_description", ""))[:200]
            raise Stop(CREDENTIALS, "the hub refused the technical user's password: it has "
                       "expired or was replaced (\"Mettre à jour le mot de passe\"). Ask the "
                       "structure's main manager for the new one. Hub: " + description)
        if response.status_code != 200:
            raise Stop(UNAVAILABLE, f"the hub answered {response.status_code} to the token "
                                    "request")
        return str(response.json()["access_token"])

    def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.http.post(f"{self.config.api}{path}", json=body,
                                      headers={"Authorization": f"Bearer {self.token}"})
        except httpx.HTTPError as exc:
            raise Stop(UNAVAILABLE, f"Chorus cannot be reached ({type(exc).__name__})") from None
        if response.status_code == 401:
            raise Stop(CREDENTIALS, "Chorus refused the token: "
                       + str(_json(response).get("error_description", ""))[:200])
        if response.status_code >= 500:
            raise Stop(UNAVAILABLE, f"Chorus answered {response.status_code}")
        answer = _json(response)
        answer["_status"] = response.status_code
        return answer

    def _fetch(self) -> None:
        since = self.state.get("depuis")
        latest = since
        page, pages = 1, 1
        new: list[int] = []
        while page <= pages:
            body: dict[str, Any] = {"paramRecherche": {
                "nbResultatsParPage": PAGE_SIZE, "pageResultatDemandee": page,
                "triColonne": "DateHeureEtatCourant", "triSens": "Ascendant"}}
            if since:
                body["periodeDateHeureEtatCourantDu"] = since
            answer = self._call("/cpro/factures/v1/rechercher/recipiendaire", body)
            if answer["_status"] != 200:
                raise Stop(UNAVAILABLE, f"search refused: {answer.get('libelle')}")
            pages = int(answer.get("pages", 1))
            for invoice in answer.get("listeFactures", []):
                self.report["vues"] += 1
                if not (self.folder / f"{int(invoice['idFacture'])}.pdf").exists():
                    new.append(int(invoice["idFacture"]))
                latest = max(latest or "", invoice["dateHeureEtatCourant"])
            page += 1
        for invoice_id in dict.fromkeys(new):
            answer = self._call("/cpro/factures/v1/telecharger/groupe", {
                "listeFacture": [{"idFacture": invoice_id}], "format": "PDF"})
            if answer["_status"] != 200:
                raise Stop(UNAVAILABLE, f"download of {invoice_id} refused: "
                                        f"{answer.get('libelle')}")
            _write(self.folder / f"{invoice_id}.pdf",
                   base64.b64decode(answer["fichierResultat"]))
            self.report["telechargees"] += 1
        self.state["depuis"] = latest  # inclusive next time: the boundary is fetched again

    def _apply(self, changes: Path) -> int:
        try:
            with changes.open(newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f, delimiter=";"))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise Stop(CONFIGURATION, f"{changes}: unreadable CSV ({exc})") from None
        applied = set(self.state.get("statuts_appliques", []))
        status = DONE
        for n, row in enumerate(rows, 2):
            key = hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()[:32]
            if key in applied:
                continue
            body = {"idFacture": (row.get("idFacture") or "").strip(),
                    "nouveauStatut": (row.get("nouveauStatut") or "").strip(),
                    "motif": row.get("motif") or None,
                    "numeroDPMandat": row.get("numeroDPMandat") or None}
            answer = self._call("/cpro/factures/v1/traiter/recue", body)
            if answer["_status"] == 200:
                applied.add(key)
                self.report["statuts_appliques"] += 1
            else:
                status = REFUSED
                self.report["statuts_refuses"] += 1
                print(f"chorus-connector: {changes}:{n}: {answer.get('erreur')}: "
                      f"{answer.get('libelle')}", file=sys.stderr)
        self.state["statuts_appliques"] = sorted(applied)
        return status

    def _save(self) -> None:
        _write(self.state_file, json.dumps(self.state, indent=1).encode())


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _write(target: Path, data: bytes) -> None:
    """Atomically: a temporary file in the same folder, fsync, rename."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chorus-connector", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossier", required=True, type=Path,
                        help="folder of the downloaded invoices")
    parser.add_argument("--etat", required=True, type=Path, help="state file (JSON)")
    parser.add_argument("--statuts", type=Path, help="CSV of status changes to apply")
    args = parser.parse_args(argv)
    try:
        connector = Connector(config_from(os.environ if env is None else env), args.dossier,
                              args.etat)
        status = connector.run(args.statuts)
    except Stop as stop:
        print(f"chorus-connector: {stop.message}", file=sys.stderr)
        return stop.status
    print(json.dumps(connector.report))
    return status


if __name__ == "__main__":
    sys.exit(main())
