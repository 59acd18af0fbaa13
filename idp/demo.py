"""`idp demo`: the hub on SQLite with invented demo users and clients, then serve it.

Demo secrets are fixed so the printed instructions stay true between runs; they exist only
in the demo database. The people are invented.
"""

from __future__ import annotations

import contextlib

from idp import admin
from idp.runtime import Runtime
from idp.settings import Settings
from idp.storage.migrate import upgrade

DEMO_PASSWORD = "Bienvenue-2026!"
APA_DEMO_SIRET = "21750001600019"

DEMO_USERS = [
    dict(username="cbernard-xt", given_name="Camille", family_name="Bernard",
         email="camille.bernard@departement-demo.example", phone="+33612345678",
         siret="21750001600019", groups=["apa"], population="portal"),
    dict(username="lpetit", given_name="Louis", family_name="Petit",
         email="lpetit@finances-demo.example", groups=["chorus"], population="portal"),
    dict(username="nora.lefevre@exemple-demo.fr", given_name="Nora", family_name="Lefèvre",
         email="nora.lefevre@exemple-demo.fr", population="citizen"),
]


def demo_clients(port_base: int = 8000) -> list[dict]:
    def app(port: int) -> str:
        return f"http://127.0.0.1:{port}"

    return [
        dict(client_id="apa", name="APA — échange de fichiers", secret="demo-apa-secret",
             redirect_uris=[f"{app(port_base + 1)}/auth/callback"],
             post_logout_redirect_uris=[f"{app(port_base + 1)}/"],
             backchannel_logout_uri=f"{app(port_base + 1)}/auth/backchannel-logout",
             scope="openid profile email siret", access_rule="group:apa",
             audience=["apa-api"], home_url=f"{app(port_base + 1)}/"),
        dict(client_id="apa-connector", name="Logiciel du département (démo)",
             secret="demo-apa-connector-secret", redirect_uris=[],
             grant_types=["client_credentials"], scope="apa", audience=["apa-api"],
             secret_lifetime=365 * 86400),
        dict(client_id="chorus", name="Chorus Pro", secret="demo-chorus-secret",
             redirect_uris=[f"{app(port_base + 2)}/auth/callback"],
             post_logout_redirect_uris=[f"{app(port_base + 2)}/"],
             scope="openid profile email siret", access_rule="group:chorus",
             home_url=f"{app(port_base + 2)}/"),
        dict(client_id="service-public", name="Mon compte service-public",
             secret="demo-sp-secret", subject_type="pairwise",
             redirect_uris=[f"{app(port_base + 3)}/auth/callback"],
             post_logout_redirect_uris=[f"{app(port_base + 3)}/"],
             scope="openid profile email phone", access_rule="population:citizen",
             home_url=f"{app(port_base + 3)}/"),
        dict(client_id="demo-connector", name="Connecteur de démonstration",
             secret="demo-connector-secret", redirect_uris=[],
             grant_types=["client_credentials"], scope="invoices", audience=["chorus-api"],
             secret_lifetime=365 * 86400),
    ]


def seed(rt: Runtime, port_base: int) -> None:
    now = rt.clock.now()
    for user in DEMO_USERS:
        with contextlib.suppress(admin.AdminError):  # already there from a previous run
            admin.add_user(rt.db, rt.passwords, now, password=DEMO_PASSWORD, **user)
    for client in demo_clients(port_base):
        with contextlib.suppress(admin.AdminError):
            admin.add_client(rt.db, now, **client)


def run_demo(host: str, port: int) -> int:
    import uvicorn

    from idp.app import create_app

    settings = Settings.from_env()
    upgrade(settings.database_url)
    rt = Runtime.build(settings)
    seed(rt, port)
    issuer = settings.issuer
    print(f"""
Identity hub demo
  issuer / discovery   {issuer}/.well-known/openid-configuration
  home page            {issuer}/
  database             {settings.database_url}

Demo logins (password for all: {DEMO_PASSWORD})
  cbernard-xt                     external partner, entitled to APA (SIRET 21750001600019)
  lpetit                          agent, entitled to Chorus Pro
  nora.lefevre@exemple-demo.fr    citizen, entitled to the service-public account

APA (file exchange), logs in through the hub: http://{host}:{port + 1}/
  API: a token for the department's software, then its response files:
    curl -s -u apa-connector:demo-apa-connector-secret -d grant_type=client_credentials \\
         {issuer}/token
    curl -s -H "Authorization: Bearer <access_token>" http://{host}:{port + 1}/api/reponses

Demo clients (client_id / secret)
  apa / demo-apa-secret, chorus / demo-chorus-secret, service-public / demo-sp-secret
  demo-connector / demo-connector-secret   (client_credentials)
  Chorus Pro and service-public come with their own issues; their clients are
  registered already.
  try: curl -s -u demo-connector:demo-connector-secret -d grant_type=client_credentials \\
        {issuer}/token
""", flush=True)
    apa = start_apa(issuer, host, port + 1)
    try:
        uvicorn.run(create_app(settings, runtime=rt), host=host, port=port, loop="uvloop",
                    http="httptools", log_level="warning")
    finally:
        apa.terminate()
        apa.wait(timeout=10)
    return 0


def start_apa(issuer: str, host: str, port: int):  # type: ignore[no-untyped-def]
    """APA (clients/apa) in its own process, with its own database and settings."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, APA_BASE_URL=f"http://{host}:{port}", APA_HUB_ISSUER=issuer,
               APA_CLIENT_ID="apa", APA_CLIENT_SECRET="demo-apa-secret",
               APA_TECHNICAL_CLIENTS=f"apa-connector={APA_DEMO_SIRET}")
    return subprocess.Popen([sys.executable, "-m", "clients.apa", "serve", "--host", host,  # noqa: S603
                             "--port", str(port)], env=env)
