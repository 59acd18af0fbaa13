"""The person's history (/compte/historique, seed 004 §11): every login and every transfer of
their data — date and time in Paris, application, FI, level in words, data as kinds —
newest first, 20 a page, over the last `history_shown_days`; never another account's
events; the audit trail purged after `history_kept_days`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pyotp
import pytest

from idp import admin_providers
from idp.housekeeping import Retention, purge_expired
from idp.runtime import Runtime
from idp.storage.models import AuditEvent
from tests.federation.hostile_fi import CLIENT_ID, CLIENT_SECRET, HostileFI
from tests.integration.flows import tokens_for
from tests.integration.history_pages import account_id, history_rows
from tests.oidc_helpers import (
    auth_request,
    authorize,
    consent,
    csrf_token,
    follow_to_client,
    hidden,
    login,
    parse_redirect,
)

DAY = 86400


def _paris(at: int) -> str:
    moment = datetime.fromtimestamp(at, ZoneInfo("Europe/Paris"))
    return moment.strftime("%d/%m/%Y à %H:%M")


def test_a_password_login_and_its_data_transfer_are_shown_newest_first(
        http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    client = factories.client(name="Mairie de Lyon", consent_mode="information")
    factories.account("alice")
    tokens_for(http, client, "alice", scope="openid profile email")
    rt.audit.flush()
    rows = history_rows(http)
    assert [r[1] for r in rows] == ["Données transmises après information", "Connexion"]
    transfer, login_row = rows
    assert transfer[0] == _paris(rt.clock.now())
    assert transfer[2] == "Mairie de Lyon" and login_row[2] == "Mairie de Lyon"
    assert transfer[3] == "—" and login_row[3] == "—"  # no FI: the hub's own password
    assert transfer[4] == "Faible" and login_row[4] == "Faible"
    assert transfer[5] == ("Nom et prénoms, Nom d'usage, Date de naissance, Sexe, Adresse "
                           "électronique, Date de dernière mise à jour de vos informations")
    assert login_row[5] == "—"


def test_the_login_event_names_the_application_and_the_level(
        http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    tokens_for(http, client, "alice")
    rt.audit.flush()
    with rt.db.read() as s:
        event = s.query(AuditEvent).filter_by(event="login.success").one()
        assert (event.client_id, event.detail["acr"]) == (client.client_id, "eidas1")
        assert "claims" not in event.detail


def test_a_login_with_the_second_factor_is_substantial(
        http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    client = factories.client(name="Impôts")
    account = factories.account("alice")
    seed, _ = factories.authenticator(account)
    rt.clock.advance(60)  # the enrolment spent the current step's code
    req = auth_request(client.client_id, client.redirect_uri, scope="openid")
    response = login(http, "alice", location=authorize(http, req).headers["location"])
    page = http.get(response.headers["location"])
    response = http.post("/connexion/code", data={
        "csrf_token": csrf_token(page.text), "code": pyotp.TOTP(seed).at(rt.clock.now()),
        "rid": hidden(page.text, "rid")}, follow_redirects=False)
    result = follow_to_client(http, response, client.redirect_uri)
    if not isinstance(result, str):
        result = follow_to_client(http, consent(http, result), client.redirect_uri)
    assert "code" in parse_redirect(result)
    rt.audit.flush()
    rows = history_rows(http)
    assert [(r[1], r[4]) for r in rows] == [("Données transmises après votre consentement",
                                             "Substantiel"), ("Connexion", "Substantiel")]


def test_data_read_later_by_the_application_are_shown_with_their_kinds(
        http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    client = factories.client(name="APA")
    factories.account("alice", siret="21750001600019")
    tokens = tokens_for(http, client, "alice", scope="openid siret phone")
    rt.clock.advance(120)
    response = http.get("/userinfo",
                        headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 200
    rt.audit.flush()
    first = history_rows(http)[0]
    assert first[1] == "Données lues par l'application" and first[2] == "APA"
    assert first[5] == "Numéro de téléphone, Numéro SIRET"
    assert first[0] == _paris(rt.clock.now())


def _events(rt: Runtime, account: int, ages_in_days: list[float], event: str = "data_transfer",
            **fields) -> None:  # type: ignore[no-untyped-def]
    now = rt.clock.now()
    with rt.db.transaction() as s:
        for age in ages_in_days:
            s.add(AuditEvent(at=now - int(age * DAY), event=event, account_id=account,
                             detail={"claims": ["email"], "acr": "eidas1"}, **fields))


def test_twenty_a_page_newest_first_and_a_page_past_the_last_is_the_last(
        http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    factories.client(client_id="mairie", name="Mairie")
    factories.account("alice")
    tokens_for(http, factories.client(), "alice", scope="openid")  # logged in, 2 events
    rt.audit.flush()
    alice = account_id(rt, "alice")
    _events(rt, alice, [1 + n / 24 for n in range(43)], client_id="mairie")  # 45 in all
    pages = [history_rows(http, f"?page={n}") for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [20, 20, 5]
    times = [datetime.strptime(r[0], "%d/%m/%Y à %H:%M") for p in pages for r in p]
    assert times == sorted(times, reverse=True)
    assert pages[2][-1][2] == "Mairie"
    assert history_rows(http, "?page=999999") == pages[2]
    page = http.get("/compte/historique?page=2")
    assert 'aria-current="page" href="/compte/historique?page=2"' in page.text


@pytest.mark.parametrize("value", [
    "0", "-1", "abc", "1.5", "1e3", "9999999", "", "%00", "1%00", "%EF%BC%91",  # fullwidth 1
    "%D9%A1",  # Arabic-Indic digit one
    "1&page=2", "'%20OR%201=1", "9" * 300,
])
def test_a_hostile_page_number_is_refused_with_a_page(
        http, factories, value: str) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice")
    tokens_for(http, factories.client(), "alice", scope="openid")
    response = http.get("/compte/historique?page=" + value)
    assert response.status_code == 400, response.status_code
    # Ours, or the request limits' page for what never reaches a handler (a NUL).
    assert ("Revenez à la première page de votre historique" in response.text
            or "%00" in value), response.text


def test_only_the_last_six_months_are_shown(
        http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice")
    alice = account_id(rt, "alice")
    _events(rt, alice, [182, 184])
    tokens_for(http, factories.client(), "alice", scope="openid")
    rt.audit.flush()
    assert [r[1] for r in history_rows(http)] == [
        "Données transmises après votre consentement", "Connexion", "Données transmises"]
    rt.clock.advance(2 * DAY)  # the 182-day-old event is now 184 days old
    tokens_for(http, factories.client(), "alice", scope="openid")  # the session had ended
    rt.audit.flush()
    assert [r[1] for r in history_rows(http)] == [
        "Données transmises après votre consentement", "Connexion",
        "Données transmises après votre consentement", "Connexion"]


def test_another_accounts_events_are_never_shown(
        http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice")
    factories.account("bob")
    _events(rt, account_id(rt, "bob"), [1, 2, 3], client_id="bobs-app")
    _events(rt, account_id(rt, "bob"), [1], event="login.success")
    tokens_for(http, factories.client(name="Mairie"), "alice", scope="openid")
    rt.audit.flush()
    rows = history_rows(http)
    assert len(rows) == 2 and all(r[2] == "Mairie" for r in rows)


def test_security_events_are_not_shown(http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice")
    alice = account_id(rt, "alice")
    for event in ("login.second_factor_failure", "token.issued", "password.changed",
                  "code.issued", "consent.refused"):
        _events(rt, alice, [1], event=event)
    tokens_for(http, factories.client(), "alice", scope="openid")
    rt.audit.flush()
    assert [r[1] for r in history_rows(http)] == [
        "Données transmises après votre consentement", "Connexion"]


def test_a_removed_application_or_fi_is_named_by_its_id(http, factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice")
    _events(rt, account_id(rt, "alice"), [1], client_id="ancienne-appli", fi="fi-disparu")
    tokens_for(http, factories.client(), "alice", scope="openid")
    assert history_rows(http)[-1][2:4] == ["Application supprimée ( ancienne-appli )",
                                           "fi-disparu"]


def test_the_history_asks_for_a_login(http) -> None:  # type: ignore[no-untyped-def]
    response = http.get("/compte/historique", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_the_trail_is_purged_after_36_months(factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice")
    alice = account_id(rt, "alice")
    _events(rt, alice, [1095, 1097])
    _events(rt, alice, [1097], event="login.failure")  # security events too
    _events(rt, alice, [10], event="login.success")
    kept = rt.settings.history_kept_days * DAY
    purge_expired(rt.db, rt.clock.now(), Retention(audit_keep=kept))
    with rt.db.read() as s:
        left = sorted((e.event, (rt.clock.now() - e.at) // DAY)
                      for e in s.query(AuditEvent).all())
    assert left == [("data_transfer", 1095), ("login.success", 10)]


def test_a_purge_backlog_is_cleared_over_several_runs(factories, rt: Runtime) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice")
    _events(rt, account_id(rt, "alice"), [2000 + n for n in range(25)])
    retention = Retention(audit_keep=1096 * DAY, audit_batch=10)
    counts = []
    for _ in range(3):
        purge_expired(rt.db, rt.clock.now(), retention)
        with rt.db.read() as s:
            counts.append(s.query(AuditEvent).count())
    assert counts == [15, 5, 0]


# A federated login, through a real FI (tests/federation/hostile_fi.py playing fair) -------


@pytest.fixture
def fi() -> Iterator[HostileFI]:
    from tests.e2e.federation_world import good_hostile_behaviour

    server = HostileFI()
    server.behaviour = good_hostile_behaviour()
    server.start()
    yield server
    server.stop()


def test_a_federated_login_names_the_identity_provider(
        http, factories, rt: Runtime, fi: HostileFI) -> None:  # type: ignore[no-untyped-def]
    import httpx

    admin_providers.add_provider(rt.db, rt.keys.secret_box, rt.clock.now(),
                                 admin_providers.new_provider(
        id="fi-test", display_name="Fournisseur d'essai", client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET, discovery_url=fi.issuer + "/.well-known/openid-configuration",
        scopes=("openid", "given_name", "family_name", "birthdate", "gender", "birthplace",
                "birthcountry", "email"), acr_values=("eidas1",)))
    client = factories.client(name="Caisse d'allocations", consent_mode="information",
                              scope="openid profile birth email")
    req = auth_request(client.client_id, client.redirect_uri, scope="openid profile birth")
    rid = authorize(http, req).headers["location"].split("rid=", 1)[1]
    picker = http.get(f"/connexion/choix?rid={rid}")
    assert picker.status_code == 200, picker.text
    response = http.post("/connexion/choix", data={
        "csrf_token": csrf_token(picker.text), "rid": rid, "provider": "fi-test"},
        follow_redirects=False)
    at_fi = httpx.get(response.headers["location"], follow_redirects=False)
    callback = at_fi.headers["location"]
    response = http.get(callback.removeprefix(rt.settings.issuer), follow_redirects=False)
    result = follow_to_client(http, response, client.redirect_uri)
    if not isinstance(result, str):
        result = follow_to_client(http, consent(http, result, decision="continue"),
                                  client.redirect_uri)
    assert "code" in parse_redirect(result)
    rt.audit.flush()
    rows = history_rows(http)
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [
        ("Données transmises après information", "Caisse d'allocations",
         "Fournisseur d'essai", "Faible"),
        ("Connexion", "Caisse d'allocations", "Fournisseur d'essai", "Faible")]
    assert rows[0][5] == ("Nom et prénoms, Nom d'usage, Date de naissance, Sexe, Lieu et pays "
                          "de naissance, Date de dernière mise à jour de vos informations")
    assert rows[0][5] == ("Nom et prénoms, Nom d'usage, Date de naissance, Sexe, Lieu et pays "
                          "de naissance, Date de dernière mise à jour de vos informations")

def test_the_portal_links_to_the_history_and_the_applications(http, factories) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice")
    tokens_for(http, factories.client(), "alice", scope="openid")
    home = http.get("/").text
    assert 'href="/compte/historique"' in home and 'href="/compte/applications"' in home
