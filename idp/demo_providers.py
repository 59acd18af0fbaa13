"""The demo's two upstream identity providers (FI): two more hub instances, each with its
own port (the hub's + 2 and + 3), database, keys and cookie name, under invented names, with
invented citizens who have pivot identities — one of them present in both, so that logging
in through either gives the same person at the main hub. The main hub registers both as FIs.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from idp import admin, admin_providers
from idp.federation.pivot import PivotIdentity, validate_pivot
from idp.federation.providers import InvalidProvider
from idp.runtime import Runtime
from idp.settings import Settings
from idp.storage.migrate import upgrade
from idp.storage.repositories import clients as clients_repo

# The main hub's one callback and logout return (web/hub.py, web/pages/logout.py).
CALLBACK = "/connexion/retour"
LOGOUT_RETURN = "/deconnexion/retour"
HUB_CLIENT_ID = "hub-federation"


@dataclass(frozen=True)
class DemoCitizen:
    username: str
    email: str
    identity: dict[str, str]

    def pivot(self) -> PivotIdentity:
        return validate_pivot({**self.identity, "email": self.email})


# One person in both FIs (the same pivot identity), one in each alone. Invented people.
_ELISE = {"given_name": "Élise Jeanne", "family_name": "Marchand", "birthdate": "1984-06-12",
          "gender": "female", "birthplace": "69123", "birthcountry": "99100"}
_KARIM = {"given_name": "Karim", "family_name": "Aubert", "birthdate": "1979-11-03",
          "gender": "male", "birthcountry": "99350"}  # born abroad: no birthplace
_LOUISE = {"given_name": "Louise", "family_name": "Perrin", "birthdate": "1992-02-29",
           "gender": "female", "birthplace": "2A004", "birthcountry": "99100"}


@dataclass(frozen=True)
class DemoProvider:
    id: str
    name: str
    offset: int  # port = the hub's + offset
    secret: str
    acr_values: tuple[str, ...]
    citizens: tuple[DemoCitizen, ...]


DEMO_PROVIDERS = (
    DemoProvider("horizon", "Compte Horizon (démo)", 2, "demo-horizon-secret", ("eidas1",), (
        DemoCitizen("emarchand", "elise.marchand@courriel-demo.example", _ELISE),
        DemoCitizen("kaubert", "karim.aubert@courriel-demo.example", _KARIM),
    )),
    DemoProvider("cle", "Clé Citoyenne (démo)", 3, "demo-cle-secret", ("eidas1", "eidas2"), (
        DemoCitizen("elise.marchand", "elise.marchand@courriel-demo.example", _ELISE),
        DemoCitizen("lperrin", "louise.perrin@courriel-demo.example", _LOUISE),
    )),
)


def provider_url(fi: DemoProvider, hub_url: str, hub_port: int) -> str:
    base = hub_url.rsplit(":", 1)[0]
    return f"{base}:{hub_port + fi.offset}"


def provider_environment(fi: DemoProvider, issuer: str, folder: Path, smtp_host: str,
                         smtp_port: int) -> dict[str, str]:
    """The FI's own settings: its database, keys and cookie (the main hub's cookie would be
    overwritten otherwise: cookies do not tell ports apart)."""
    return {
        "IDP_ISSUER": issuer,
        "IDP_DATABASE_URL": f"sqlite:///{(folder / f'demo-fi-{fi.id}.sqlite3').resolve()}",
        "IDP_KEYS_DIR": str((folder / f"demo-fi-{fi.id}-keys").resolve()),
        "IDP_SESSION_COOKIE": f"idp_fi_{fi.id}_session", "IDP_LOG_LEVEL": "warning",
        "IDP_SMTP_HOST": smtp_host, "IDP_SMTP_PORT": str(smtp_port),
        "IDP_SMS_SINK_FILE": str((folder / f"demo-fi-{fi.id}-sms.jsonl").resolve()),
    }


def prepare_provider(fi: DemoProvider, env: dict[str, str], hub_url: str,
                     password: str) -> None:
    """Its database, its citizens (pivot identities) and the main hub as its client."""
    settings = Settings.from_env(env)
    upgrade(settings.database_url)
    rt = Runtime.build(settings)
    try:
        now = rt.clock.now()
        for citizen in fi.citizens:
            with contextlib.suppress(admin.AdminError):  # there from a previous run
                admin.add_user(rt.db, rt.passwords, now, username=citizen.username,
                               password=password, email=citizen.email, population="citizen",
                               identity=citizen.pivot())
        with rt.db.transaction() as s:  # the hub's URL may have changed since the last run
            clients_repo.remove_client(s, HUB_CLIENT_ID)
        admin.add_client(
            rt.db, now, client_id=HUB_CLIENT_ID, name="Identité Publique (démo)",
            secret=fi.secret, redirect_uris=[hub_url + CALLBACK],
            post_logout_redirect_uris=[hub_url + LOGOUT_RETURN],
            scope="openid profile email birth identite_pivot", consent_mode="none")
    finally:
        rt.close()


def start_provider(port: int, host: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "idp", "serve", "--host", host, "--port", str(port)],
        env={**os.environ, **env}, start_new_session=True)


def register_providers(rt: Runtime, urls: dict[str, str]) -> None:
    """The FIs at the main hub, in the demo's order; an earlier run's entry is replaced
    (its URL follows --port)."""
    now = rt.clock.now()
    for position, fi in enumerate(DEMO_PROVIDERS):
        with contextlib.suppress(InvalidProvider, admin.AdminError):
            admin_providers.remove_provider(rt.db, fi.id)
        admin_providers.add_provider(rt.db, rt.keys.secret_box, now, admin_providers.new_provider(
            id=fi.id, display_name=fi.name, client_id=HUB_CLIENT_ID, client_secret=fi.secret,
            discovery_url=urls[fi.id] + "/.well-known/openid-configuration",
            scopes=("openid", "identite_pivot", "email"), acr_values=fi.acr_values,
            position=position))
