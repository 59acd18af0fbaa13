"""The demo's data (idp/demo.py): only applications the demo runs, at their current URLs."""

from __future__ import annotations

from idp import admin
from idp.demo import DEMO_PASSWORD, DEMO_USERS, demo_clients, seed
from idp.portal.home import applications_for
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import clients as clients_repo
from tests.oidc_helpers import login

APA = "http://127.0.0.1:9401"


def registered(rt, client_id: str):  # type: ignore[no-untyped-def]
    with rt.db.read() as s:
        row = clients_repo.get_client(s, client_id)
        return None if row is None else admin.client_as_dict(row)


def test_demo_registers_only_the_applications_it_runs(rt):  # type: ignore[no-untyped-def]
    seed(rt, APA)
    with rt.db.read() as s:
        ids = {c.client_id for c in clients_repo.list_clients(s)}
        partner = accounts_repo.find_by_username(s, DEMO_USERS[0]["username"])
    assert ids == {c["client_id"] for c in demo_clients(APA)} == {"apa", "apa-connector"}
    assert [(a.name, a.url) for a in applications_for(rt.db, partner)] == [
        ("APA — échange de fichiers", f"{APA}/")]


def test_apa_registered_by_an_earlier_run_moves_to_the_new_port(rt):  # type: ignore[no-untyped-def]
    seed(rt, APA)
    seed(rt, "http://127.0.0.1:9501")
    apa = registered(rt, "apa")
    assert apa["redirect_uris"] == ["http://127.0.0.1:9501/auth/callback"]
    assert apa["post_logout_redirect_uris"] == ["http://127.0.0.1:9501/"]
    assert apa["backchannel_logout_uri"] == "http://127.0.0.1:9501/auth/backchannel-logout"
    assert apa["home_url"] == "http://127.0.0.1:9501/"


def test_an_old_demo_chorus_client_moves_to_chorus_current_url(rt):  # type: ignore[no-untyped-def]
    now = rt.clock.now()
    admin.add_client(rt.db, now, client_id="chorus", secret="demo-chorus-secret",
                     redirect_uris=["http://127.0.0.1:8002/auth/callback"],
                     home_url="http://127.0.0.1:8002/")
    seed(rt, APA)
    assert registered(rt, "chorus") is not None  # not run: left as it was
    seed(rt, APA, "http://127.0.0.1:8004")
    chorus = registered(rt, "chorus")
    assert chorus["redirect_uris"] == ["http://127.0.0.1:8004/auth/callback"]
    assert "client_credentials" in chorus["grant_types"] and chorus["audience"] == [
        "chorus-api"]


def test_an_operators_own_client_is_never_removed_or_replaced_by_the_demo(rt):  # type: ignore[no-untyped-def]
    now = rt.clock.now()
    for client_id in ("chorus", "apa"):
        admin.add_client(rt.db, now, client_id=client_id, secret=f"{client_id}-own-secret",
                         redirect_uris=["https://own.example/callback"],
                         home_url="https://own.example/")
    seed(rt, APA)
    assert registered(rt, "chorus")["home_url"] == "https://own.example/"
    assert registered(rt, "apa")["redirect_uris"] == ["https://own.example/callback"]


def test_seeding_twice_keeps_the_demo_people_and_their_password(rt, http):  # type: ignore[no-untyped-def]
    seed(rt, APA)
    seed(rt, APA)
    assert login(http, DEMO_USERS[0]["username"], DEMO_PASSWORD).status_code == 303
