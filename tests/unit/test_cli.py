"""The `idp` command: human output, --json for scripts, errors on stderr with exit 1."""

from __future__ import annotations

import json

import pytest

from idp.cli import main


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("IDP_DATABASE_URL", f"sqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.setenv("IDP_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("IDP_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("IDP_ARGON2_TIME_COST", "1")


def run(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def add_client(capsys, *extra: str) -> dict:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "--json", "clients", "add", "--client-id", "apa",
                       "--redirect-uri", "https://apa.example/cb", *extra)
    assert code == 0
    return json.loads(out)


def test_db_upgrade_reports_the_revision(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "--json", "db", "upgrade")
    assert code == 0 and json.loads(out)["revision"] == "0005"


def test_clients_add_prints_the_secret_once(capsys) -> None:  # type: ignore[no-untyped-def]
    created = add_client(capsys)
    secret = created["client_secret"]
    assert len(secret) >= 43 and created["redirect_uris"] == ["https://apa.example/cb"]
    code, out, _ = run(capsys, "clients", "show", "apa")
    assert code == 0 and "apa" in out and secret not in out
    code, out, _ = run(capsys, "--json", "clients", "list")
    assert [c["client_id"] for c in json.loads(out)] == ["apa"]
    assert secret not in out and "secret_hash" not in out


def test_human_output_of_clients_add_warns_the_secret_is_shown_once(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "clients", "add", "--client-id", "chorus",
                       "--redirect-uri", "https://chorus.example/cb")
    assert code == 0 and "will not be shown again" in out


def test_clients_remove(capsys) -> None:  # type: ignore[no-untyped-def]
    add_client(capsys)
    assert run(capsys, "clients", "remove", "apa")[0] == 0
    code, _, err = run(capsys, "clients", "show", "apa")
    assert code == 1 and "no client" in err


@pytest.mark.parametrize(("args", "message"), [
    (["--redirect-uri", "http://apa.example/cb"], "plain http"),
    (["--redirect-uri", "https://apa.example/cb#frag"], "without fragment"),
    (["--auth-method", "private_key_jwt", "--redirect-uri", "https://a.example/cb"], "jwks"),
    (["--auth-method", "none", "--grant-type", "client_credentials"], "public client"),
    (["--grant-type", "authorization_code"], "redirect-uri"),
])
def test_clients_add_refuses_unsafe_registrations(capsys, args, message) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "clients", "add", "--client-id", "x", *args)
    assert code == 1 and message in err


def test_duplicate_client_is_refused(capsys) -> None:  # type: ignore[no-untyped-def]
    add_client(capsys)
    code, _, err = run(capsys, "clients", "add", "--client-id", "apa",
                       "--redirect-uri", "https://apa.example/cb")
    assert code == 1 and "already exists" in err


def test_unknown_grant_type_is_a_usage_error(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exit_info:
        main(["clients", "add", "--client-id", "x", "--grant-type", "password"])
    assert exit_info.value.code == 2


def test_users_add_show_list_disable(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "--json", "users", "add", "--username", "cbernard-xt",
                       "--password", "Motdepasse-2026!", "--given-name", "Camille",
                       "--siret", "21750001600019", "--group", "apa")
    created = json.loads(out)
    assert code == 0 and created["groups"] == ["apa"] and created["subject"]
    code, out, _ = run(capsys, "users", "show", "cbernard-xt")
    assert code == 0 and "21750001600019" in out and "argon2" not in out
    assert "cbernard-xt" in run(capsys, "users", "list")[1]
    assert run(capsys, "users", "disable", "cbernard-xt")[0] == 0
    code, out, _ = run(capsys, "--json", "users", "show", "cbernard-xt")
    assert json.loads(out)["disabled"] is True


def test_users_add_refuses_a_malformed_siret(capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "users", "add", "--username", "u", "--password", "p",
                       "--siret", "123")
    assert code == 1 and "SIRET" in err


def test_keys_list_and_rotate(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "--json", "keys", "list")
    before = json.loads(out)
    assert code == 0 and {(k["alg"], k["state"]) for k in before} == {
        ("RS256", "current"), ("RS256", "next"), ("ES256", "current"), ("ES256", "next")}
    code, out, _ = run(capsys, "--json", "keys", "rotate")
    after = json.loads(out)
    states = {k["kid"]: k["state"] for k in after}
    for key in before:
        expected = {"current": "retiring", "next": "current"}[key["state"]]
        assert states[key["kid"]] == expected
    assert sum(1 for k in after if k["state"] == "next") == 2
