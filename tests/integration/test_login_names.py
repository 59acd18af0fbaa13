"""Login names (seed 001, "Saisir la partie gauche (avant l'@) de l'adresse mél ou
l'identifiant "-xt" pour les utilisateurs externes"): the identifier, the whole e-mail
address, and for agents the left part of the address, in any case; never shared by two
accounts; unknown names answered like the others."""

from __future__ import annotations

import html
import json
import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from starlette.testclient import TestClient

from idp import admin
from idp.accounts import login_name_sync
from idp.app import create_app
from idp.runtime import Runtime
from idp.storage.models import LoginName
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import outbox as outbox_repo
from tests.conftest import ISSUER
from tests.factories import PASSWORD
from tests.oidc_helpers import auth_request, authorize, csrf_token, login

AGENTS = "agents.gouv.example"
LOCKED = "Trop de tentatives infructueuses"
EXTERNAL_MOBILE = "+33611111111"
AGENT_MOBILE = "+33622222222"


@pytest.fixture
def settings(settings, tmp_path):  # type: ignore[no-untyped-def]
    # Written as an operator might: mixed case, spaces, an "@" before a domain.
    return settings.replace(agent_email_domains=" Agents.Gouv.Example, @autre-ministere.example",
                            login_max_failures=3, login_lock_seconds=600, login_max_delay=0.01,
                            sms_sink_file=str(tmp_path / "sms.jsonl"), outbox_interval=0.0)


@pytest.fixture
def people(http, factories):  # type: ignore[no-untyped-def]
    """An external partner (identifier -xt, address elsewhere) and an agent (identifier
    unrelated to the address, address in an agent domain)."""
    external = factories.account("jdurand-xt", email="jean.durand@partenaire.example",
                                 phone=EXTERNAL_MOBILE)
    agent = factories.account("A123456", email="Marie.Martin@agents.gouv.example",
                              phone=AGENT_MOBILE)
    return external, agent


def logged_in_as(http) -> str:  # type: ignore[no-untyped-def]
    page = html.unescape(http.get("/").text)
    return re.search(r"Identifiant : <strong>([^<]+)</strong>", page).group(1)  # type: ignore[union-attr]


def comparable(page: str, typed: str) -> str:
    """A login page without what differs between two submissions: the CSRF token and the
    name typed, echoed in the field."""
    page = re.sub(r'name="csrf_token" value="[^"]+"', "", page)
    return page.replace(html.escape(typed, quote=True), "TYPED")


@pytest.mark.parametrize("typed", [
    "jdurand-xt", "JDURAND-XT", "JDurand-Xt", "  jdurand-xt ",
    "jean.durand@partenaire.example", "JEAN.DURAND@PARTENAIRE.EXAMPLE",
    "Jean.Durand@Partenaire.Example",
])
def test_an_external_partner_logs_in_with_the_identifier_or_the_address_in_any_case(  # type: ignore[no-untyped-def]
        http, people, typed):
    assert login(http, typed).status_code == 303
    assert logged_in_as(http) == "jdurand-xt"


@pytest.mark.parametrize("typed", [
    "marie.martin", "MARIE.MARTIN", "Marie.Martin",
    "marie.martin@agents.gouv.example", "MARIE.MARTIN@AGENTS.GOUV.EXAMPLE",
    "a123456", "A123456",
])
def test_an_agent_logs_in_with_the_left_part_of_the_address_in_any_case(  # type: ignore[no-untyped-def]
        http, people, typed):
    assert login(http, typed).status_code == 303
    assert logged_in_as(http) == "A123456"


@pytest.mark.parametrize("typed", ["jean.durand", "JEAN.DURAND"])
def test_the_left_part_of_an_address_outside_the_agent_domains_is_refused_like_an_unknown_name(  # type: ignore[no-untyped-def]
        http, people, typed):
    refused = login(http, typed)
    unknown = login(http, "personne-xt")
    assert refused.status_code == unknown.status_code == 401
    assert comparable(refused.text, typed) == comparable(unknown.text, "personne-xt")


def test_unknown_names_of_every_form_get_the_same_page_as_a_wrong_password(http, people):  # type: ignore[no-untyped-def]
    wrong = login(http, "JDURAND-XT", "Pas-le-bon-1!")
    expected = comparable(wrong.text, "JDURAND-XT")
    for typed in ["ghost-xt", "GHOST-XT", "ghost@agents.gouv.example", "Ghost@Ailleurs.example",
                  "ghost", "jean.durand"]:
        answer = login(http, typed, "Pas-le-bon-1!")
        assert answer.status_code == wrong.status_code == 401
        assert comparable(answer.text, typed) == expected


def test_every_form_is_resolved_by_one_query(rt, people):  # type: ignore[no-untyped-def]
    """One indexed query whatever the form typed, known or not: no lookup that only
    existing accounts, or one form, would pay."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if not statement.startswith("BEGIN"):
            statements.append(statement)

    event.listen(rt.db.engine, "before_cursor_execute", count)
    try:
        for typed, expected in [("JDURAND-XT", "jdurand-xt"), ("Marie.Martin", "A123456"),
                                ("jean.durand@partenaire.example", "jdurand-xt"),
                                ("ghost", None), ("ghost@agents.gouv.example", None),
                                ("jean.durand", None)]:
            with rt.db.read() as s:
                statements.clear()
                account = accounts_repo.find_by_login(s, typed)
                assert (account.username if account else None) == expected
                assert len(statements) == 1, statements
                assert "login_names" in statements[0]
    finally:
        event.remove(rt.db.engine, "before_cursor_execute", count)


def test_a_login_hint_in_another_case_is_prefilled_and_logs_in(http, factories, people):  # type: ignore[no-untyped-def]
    client = factories.client()
    req = auth_request(client.client_id, client.redirect_uri, login_hint="JDURAND-XT")
    start = authorize(http, req)
    page = http.get(start.headers["location"])
    assert 'value="JDURAND-XT"' in page.text
    done = login(http, "JDURAND-XT", location=start.headers["location"])
    assert done.status_code == 303 and "rid=" in done.headers["location"]


# Throttling --------------------------------------------------------------------------------


def test_failures_under_every_name_of_one_account_lock_that_account(http, people):  # type: ignore[no-untyped-def]
    for typed in ["JDurand-xt", "jdurand-xt", "Jean.Durand@partenaire.example"]:
        assert login(http, typed, "Pas-le-bon-1!").status_code in (401, 429)
    for typed in ["jdurand-xt", "JEAN.DURAND@PARTENAIRE.EXAMPLE"]:
        locked = login(http, typed, PASSWORD)
        assert locked.status_code == 429 and LOCKED in html.unescape(locked.text)
    assert login(http, "A123456", PASSWORD).status_code == 303  # another account is not


def test_an_agent_is_locked_whether_the_left_part_the_address_or_the_identifier_is_typed(  # type: ignore[no-untyped-def]
        http, people):
    for typed in ["marie.martin", "MARIE.MARTIN@agents.gouv.example", "a123456"]:
        login(http, typed, "Pas-le-bon-1!")
    assert login(http, "Marie.Martin", PASSWORD).status_code == 429


def test_an_unknown_agent_address_counts_with_its_left_part_as_a_real_one_would(http, people):  # type: ignore[no-untyped-def]
    for typed in ["ghost", "GHOST@agents.gouv.example", "Ghost"]:
        login(http, typed, "Pas-le-bon-1!")
    assert login(http, "ghost@AGENTS.gouv.example", "Pas-le-bon-1!").status_code == 429


def test_operator_unlock_by_any_name_lifts_the_lock_of_every_name(http, people, monkeypatch,  # type: ignore[no-untyped-def]
                                                                  capsys, rt):
    from idp.cli import main

    for _ in range(3):
        login(http, "marie.martin", "Pas-le-bon-1!")
    assert login(http, "A123456", PASSWORD).status_code == 429
    monkeypatch.setenv("IDP_DATABASE_URL", rt.settings.database_url)
    monkeypatch.setenv("IDP_KEYS_DIR", rt.settings.keys_dir)
    monkeypatch.setenv("IDP_AGENT_EMAIL_DOMAINS", AGENTS)
    assert main(["users", "unlock", "MARIE.MARTIN@AGENTS.GOUV.EXAMPLE"]) == 0
    assert "unlocked" in capsys.readouterr().out
    assert login(http, "marie.martin", PASSWORD).status_code == 303


# Forgotten password ------------------------------------------------------------------------


def sms_to(rt, number: str) -> list[dict]:  # type: ignore[no-untyped-def]
    rt.outbox.deliver_due()
    sink = Path(rt.settings.sms_sink_file)
    lines = sink.read_text(encoding="utf-8").splitlines() if sink.exists() else []
    return [m for m in map(json.loads, lines) if m["to"] == number]


def ask_recovery(http, typed: str) -> int:  # type: ignore[no-untyped-def]
    page = http.get("/mot-de-passe-oublie")
    response = http.post("/mot-de-passe-oublie", data={
        "csrf_token": csrf_token(page.text), "username": typed}, follow_redirects=False)
    assert response.headers["location"] == "/mot-de-passe-oublie/code"
    return response.status_code


@pytest.mark.parametrize(("typed", "mobile"), [
    ("JDURAND-XT", EXTERNAL_MOBILE), ("Jean.Durand@Partenaire.example", EXTERNAL_MOBILE),
    ("MARIE.MARTIN", AGENT_MOBILE), ("marie.martin@AGENTS.gouv.example", AGENT_MOBILE),
    ("a123456", AGENT_MOBILE),
])
def test_a_forgotten_password_is_recovered_with_any_name_in_any_case(http, rt, people, typed,  # type: ignore[no-untyped-def]
                                                                     mobile):
    assert ask_recovery(http, typed) == 303
    assert len(sms_to(rt, mobile)) == 1


def test_recovery_for_a_non_agent_left_part_answers_as_for_anyone_and_sends_nothing(  # type: ignore[no-untyped-def]
        http, rt, people):
    assert ask_recovery(http, "jean.durand") == ask_recovery(http, "personne-xt") == 303
    assert sms_to(rt, EXTERNAL_MOBILE) == []


# Never shared ------------------------------------------------------------------------------


@pytest.mark.parametrize(("username", "email", "refusal"), [
    # identifier vs identifier, in another case
    ("JDurand-XT", None, "'jdurand-xt' (identifier) is already the identifier of another "
                         "account ('jdurand-xt')"),
    # e-mail vs e-mail
    ("pmartin-xt", "JEAN.DURAND@partenaire.example",
     "'jean.durand@partenaire.example' (e-mail address) is already the e-mail address"),
    # identifier vs agent left part
    ("Marie.Martin", None, "'marie.martin' (identifier) is already the left part of an agent "
                           "e-mail address of another account ('A123456')"),
    # agent left part vs identifier
    ("B765432", "jdurand-xt@agents.gouv.example",
     "'jdurand-xt' (left part of an agent e-mail address) is already the identifier"),
    # agent left part vs agent left part (another agent domain)
    ("C111111", "marie.martin@autre-ministere.example",
     "'marie.martin' (left part of an agent e-mail address) is already the left part of an "
     "agent e-mail address"),
    # identifier vs e-mail
    ("jean.durand@partenaire.example", None, "is already the e-mail address"),
])
def test_two_accounts_never_share_a_login_name(rt, people, username, email, refusal):  # type: ignore[no-untyped-def]
    with pytest.raises(admin.AdminError) as refused:
        admin.add_user(rt.db, rt.passwords, rt.clock.now(), username=username,
                       password=PASSWORD, email=email)
    assert refusal in str(refused.value)
    with rt.db.read() as s:
        assert [a.username for a in accounts_repo.list_accounts(s)] == ["A123456", "jdurand-xt"]


def test_the_left_part_of_an_address_outside_the_agent_domains_may_be_another_identifier(  # type: ignore[no-untyped-def]
        http, rt, people):
    admin.add_user(rt.db, rt.passwords, rt.clock.now(), username="jean.durand",
                   password=PASSWORD, email="jean.durand@ailleurs.example", phone="+33633333333")
    assert login(http, "jean.durand").status_code == 303
    assert logged_in_as(http) == "jean.durand"


@pytest.mark.parametrize(("changes", "refusal"), [
    ({"username": "JDURAND-XT"}, "is already the identifier"),
    ({"username": "marie.martin"}, "is already the left part of an agent e-mail address"),
    ({"email": "Marie.Martin@agents.gouv.example"}, "is already the e-mail address"),
    ({"email": "marie.martin@autre-ministere.example"}, "is already the left part"),
])
def test_an_update_cannot_take_another_accounts_name(rt, people, factories, changes, refusal):  # type: ignore[no-untyped-def]
    factories.account("pmartin-xt", email="pmartin@partenaire.example")
    with pytest.raises(admin.AdminError) as refused:
        admin.update_user(rt.db, "PMARTIN-XT", changes)
    assert "user 'pmartin-xt' not updated" in str(refused.value) and refusal in str(refused.value)
    with rt.db.read() as s:
        assert accounts_repo.find_by_login(s, "pmartin@partenaire.example").username == (
            "pmartin-xt")


def test_an_update_moves_every_login_name(http, rt, people):  # type: ignore[no-untyped-def]
    admin.update_user(rt.db, "a123456",
                      {"username": "A654321", "email": "m.martin@agents.gouv.example"})
    for gone in ["A123456", "marie.martin", "marie.martin@agents.gouv.example"]:
        assert login(http, gone).status_code == 401
    assert login(http, "M.MARTIN").status_code == 303
    assert logged_in_as(http) == "A654321"
    # The names given up are free for another account.
    admin.add_user(rt.db, rt.passwords, rt.clock.now(), username="marie.martin",
                   password=PASSWORD)


def test_the_unique_index_refuses_a_shared_name_written_behind_the_repository(rt, people):  # type: ignore[no-untyped-def]
    with rt.db.read() as s:
        agent_id = accounts_repo.find_by_login(s, "a123456").id
    with pytest.raises(IntegrityError), rt.db.transaction() as s:
        s.add(LoginName(name="jdurand-xt", account_id=agent_id, kind="identifier"))
        s.flush()


# The e-mail address page -------------------------------------------------------------------


def ask_new_address(http, address: str):  # type: ignore[no-untyped-def]
    form = http.get("/compte/courriel")
    return http.post("/compte/courriel", data={"csrf_token": csrf_token(form.text),
                                               "value": address, "next": "/"},
                     follow_redirects=False)


@pytest.mark.parametrize("address", ["MARIE.MARTIN@agents.gouv.example",
                                     "marie.martin@autre-ministere.example",
                                     "a123456@agents.gouv.example"])
def test_the_address_page_refuses_another_accounts_login_name_before_sending_a_code(  # type: ignore[no-untyped-def]
        http, rt, people, address):
    login(http, "jdurand-xt")
    refused = ask_new_address(http, address)
    assert refused.status_code == 400
    assert "sert déjà à se connecter à un autre compte" in html.unescape(refused.text)
    with rt.db.read() as s:
        assert outbox_repo.messages_to(s, address.lower()) == []


def test_an_address_taken_while_its_code_was_on_its_way_is_refused(http, rt, people):  # type: ignore[no-untyped-def]
    login(http, "jdurand-xt")
    assert ask_new_address(http, "jd@agents.gouv.example").status_code == 303
    with rt.db.read() as s:
        [mail] = outbox_repo.messages_to(s, "jd@agents.gouv.example")
    code = re.search(r"\b(\d{6})\b", mail.body).group(1)  # type: ignore[union-attr]
    admin.update_user(rt.db, "A123456", {"username": "JD"})  # takes the left part "jd"
    page = http.get("/compte/code")
    refused = http.post("/compte/code", data={"csrf_token": csrf_token(page.text), "code": code})
    assert refused.status_code == 409
    assert "sert déjà à se connecter à un autre compte" in html.unescape(refused.text)
    with rt.db.read() as s:
        assert accounts_repo.find_by_login(s, "jdurand-xt").email == (
            "jean.durand@partenaire.example")


def test_a_free_agent_address_gives_its_left_part_as_a_login_name(http, rt, people):  # type: ignore[no-untyped-def]
    login(http, "jdurand-xt")
    ask_new_address(http, "Jean-Pierre.Durand@agents.gouv.example")
    with rt.db.read() as s:
        [mail] = outbox_repo.messages_to(s, "jean-pierre.durand@agents.gouv.example")
    code = re.search(r"\b(\d{6})\b", mail.body).group(1)  # type: ignore[union-attr]
    page = http.get("/compte/code")
    assert http.post("/compte/code", data={"csrf_token": csrf_token(page.text),
                                           "code": code}).status_code == 200
    http.cookies.clear()
    assert login(http, "JEAN-PIERRE.DURAND").status_code == 303
    assert logged_in_as(http) == "jdurand-xt"


# When the operator changes IDP_AGENT_EMAIL_DOMAINS ----------------------------------------


def start_hub(rt, **changes):  # type: ignore[no-untyped-def]
    runtime = Runtime.build(rt.settings.replace(**changes), rt.clock)
    return TestClient(create_app(runtime.settings, runtime=runtime), base_url=ISSUER)


def test_a_hub_started_with_other_agent_domains_recomputes_the_left_parts(rt, people, caplog):  # type: ignore[no-untyped-def]
    with start_hub(rt, agent_email_domains="partenaire.example") as http:
        assert login(http, "jean.durand").status_code == 303  # a new agent domain
        assert logged_in_as(http) == "jdurand-xt"
        http.cookies.clear()
        assert login(http, "marie.martin").status_code == 401  # no longer an agent domain
        assert login(http, "Marie.Martin@agents.gouv.example").status_code == 303
    assert "login names recomputed" in caplog.text


def test_a_left_part_another_account_logs_in_with_is_not_given_and_is_reported(  # type: ignore[no-untyped-def]
        rt, people, factories, caplog):
    factories.account("jean.durand", email="jdu@ailleurs.example")
    caplog.set_level(logging.WARNING, "idp.login_names")
    with start_hub(rt, agent_email_domains="partenaire.example") as http:
        assert login(http, "jean.durand").status_code == 303
        assert logged_in_as(http) == "jean.durand"  # the account that had the name keeps it
    [clash] = [r.getMessage() for r in caplog.records if "clash" in r.getMessage()]
    assert ("'jean.durand', left part of an agent e-mail address of account 'jdurand-xt', is "
            "already the identifier of account 'jean.durand'") in clash
    plan = login_name_sync.check(rt.db, "partenaire.example")
    assert [c.account for c in plan.clashes] == ["jdurand-xt"]


def test_accounts_added_at_once_with_one_name_in_different_cases_leave_exactly_one(rt):  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    spellings = ["Race-xt", "RACE-XT", "race-xt", "rAcE-xT", "race-XT", "Race-Xt"]

    def add(username: str) -> str:
        try:
            admin.add_user(rt.db, rt.passwords, rt.clock.now(), username=username,
                           password=PASSWORD)
        except admin.AdminError as refused:
            return str(refused)
        return "added"

    with ThreadPoolExecutor(len(spellings)) as pool:
        outcomes = list(pool.map(add, spellings))
    assert outcomes.count("added") == 1, outcomes
    assert all("not added" in o or "already exists" in o for o in outcomes if o != "added")
    with rt.db.read() as s:
        assert len(accounts_repo.list_accounts(s)) == 1


def test_a_hub_starting_while_the_database_is_down_says_its_names_were_not_checked(rt, caplog):  # type: ignore[no-untyped-def]
    with start_hub(rt, database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere") as http:
        assert http.get("/healthz").status_code in (200, 503)
    assert "login names not checked against IDP_AGENT_EMAIL_DOMAINS" in caplog.text
    assert "idp users check-identifiers" in caplog.text
