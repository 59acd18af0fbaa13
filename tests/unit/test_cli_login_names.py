"""`idp users …` find an account by any of its login names in any case (seed 001); `idp users
add/update` refuse a name another account has; `idp users check-identifiers` reports the
accounts that lack a name after IDP_AGENT_EMAIL_DOMAINS changed."""

from __future__ import annotations

import json

import pytest

from tests.unit.test_cli import environment, run  # noqa: F401 - the autouse fixture

PASSWORD = "Motdepasse-2026!"


@pytest.fixture(autouse=True)
def agents(environment, monkeypatch, capsys):  # noqa: F811  # type: ignore[no-untyped-def]
    monkeypatch.setenv("IDP_AGENT_EMAIL_DOMAINS", "agents.gouv.example")
    assert run(capsys, "db", "upgrade")[0] == 0  # the domains are recorded
    for username, email in [("jdurand-xt", "jean.durand@partenaire.example"),
                            ("A123456", "marie.martin@agents.gouv.example")]:
        code, _, err = run(capsys, "users", "add", "--username", username, "--email", email,
                           "--password", PASSWORD)
        assert code == 0, err


@pytest.mark.parametrize(("typed", "username"), [
    ("JDURAND-XT", "jdurand-xt"), ("Jean.Durand@PARTENAIRE.example", "jdurand-xt"),
    ("MARIE.MARTIN", "A123456"), ("a123456", "A123456"),
])
def test_users_show_finds_any_login_name_in_any_case(capsys, typed, username) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "--json", "users", "show", typed)
    assert code == 0 and json.loads(out)["username"] == username


@pytest.mark.parametrize("command", [["disable"], ["unlock"], ["reset-password"],
                                     ["remove-second-factor"]])
def test_users_commands_take_a_login_name_in_any_case(capsys, command) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "users", *command, "JDURAND-XT")
    assert code == 0, err


def test_users_disable_by_another_case_disables_the_account(capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(capsys, "users", "disable", "Marie.Martin")[0] == 0
    out = run(capsys, "--json", "users", "show", "A123456")[1]
    assert json.loads(out)["disabled"] is True


def test_a_non_agent_left_part_is_no_login_name(capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "users", "show", "jean.durand")
    assert code == 1 and "no user 'jean.durand'" in err


@pytest.mark.parametrize(("args", "message"), [
    (["--username", "JDurand-XT"],
     "user 'JDurand-XT' not added: 'jdurand-xt' (identifier) is already the identifier of "
     "another account ('jdurand-xt')"),
    (["--username", "pm-xt", "--email", "JEAN.DURAND@partenaire.example"],
     "'jean.durand@partenaire.example' (e-mail address) is already the e-mail address of "
     "another account ('jdurand-xt')"),
    (["--username", "marie.martin"],
     "'marie.martin' (identifier) is already the left part of an agent e-mail address of "
     "another account ('A123456')"),
    (["--username", "B2", "--email", "marie.martin@agents.gouv.example"],
     "is already the e-mail address of another account ('A123456')"),
    (["--username", "B3", "--email", "jdurand-xt@agents.gouv.example"],
     "'jdurand-xt' (left part of an agent e-mail address) is already the identifier of "
     "another account ('jdurand-xt')"),
])
def test_users_add_refuses_another_accounts_login_name(capsys, args, message) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "users", "add", "--password", PASSWORD, *args)
    assert code == 1 and out == "" and message in err


def test_users_update_renames_and_refuses_a_taken_name(capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "users", "update", "MARIE.MARTIN", "--new-username", "JDurand-xt")
    assert code == 1 and "user 'A123456' not updated" in err
    code, out, err = run(capsys, "--json", "users", "update", "marie.martin",
                         "--email", "m.martin@agents.gouv.example")
    assert code == 0 and json.loads(out)["email"] == "m.martin@agents.gouv.example"
    assert json.loads(run(capsys, "--json", "users", "show", "M.Martin")[1])["username"] == (
        "A123456")
    assert run(capsys, "users", "show", "marie.martin")[0] == 1


def test_check_identifiers_reports_clashes_after_the_agent_domains_changed(capsys, monkeypatch):  # type: ignore[no-untyped-def]
    assert run(capsys, "users", "add", "--username", "jean.durand", "--password", PASSWORD)[0] == 0
    assert run(capsys, "users", "check-identifiers")[0] == 0
    monkeypatch.setenv("IDP_AGENT_EMAIL_DOMAINS", "agents.gouv.example,partenaire.example")
    code, out, _ = run(capsys, "--json", "users", "check-identifiers")
    report = json.loads(out)
    assert code == 1 and report["clashes"] == [
        "'jean.durand', left part of an agent e-mail address of account 'jdurand-xt', is "
        "already the identifier of account 'jean.durand': 'jdurand-xt' cannot log in with it"]
    assert json.loads(run(capsys, "--json", "users", "show", "jean.durand")[1])["username"] == (
        "jean.durand")
    assert run(capsys, "users", "update", "jean.durand", "--new-username", "jean.durand-xt")[0] == 0
    code, out, _ = run(capsys, "users", "check-identifiers")
    assert code == 0 and "no clash" in out
    assert json.loads(run(capsys, "--json", "users", "show", "Jean.Durand")[1])["username"] == (
        "jdurand-xt")


def test_a_name_too_long_once_normalised_is_refused_clearly(capsys) -> None:  # type: ignore[no-untyped-def]
    # U+FDFA (one character) becomes 18 under NFKC: 20 of them make 360 characters.
    code, out, err = run(capsys, "users", "add", "--username", "\ufdfa" * 20,
                         "--password", PASSWORD)
    assert code == 1 and out == "" and "at most 320 characters once normalised" in err
