"""The `idp` command: human output, --json for scripts, errors on stderr with exit 1."""

from __future__ import annotations

import json

import pytest
from alembic.script import ScriptDirectory

from idp.cli import main
from idp.oidc.clients import hash_secret
from idp.storage.migrate import alembic_config


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
    [head] = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    code, out, _ = run(capsys, "--json", "db", "upgrade")
    assert code == 0 and json.loads(out)["revision"] == head


def test_db_upgrade_twice_is_harmless(capsys) -> None:  # type: ignore[no-untyped-def]
    first = run(capsys, "--json", "db", "upgrade")
    assert run(capsys, "--json", "db", "upgrade") == first


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


def test_clients_add_json_is_parseable_and_holds_the_secret(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "--json", "clients", "add", "--client-id", "chorus",
                         "--redirect-uri", "https://chorus.example/cb")
    created = json.loads(out)
    assert code == 0 and err == ""
    assert created["client_id"] == "chorus" and len(created["client_secret"]) >= 43
    assert "secret_hash" not in created


def test_human_output_of_clients_add_shows_the_secret(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "clients", "add", "--client-id", "chorus",
                       "--redirect-uri", "https://chorus.example/cb")
    [line] = [x for x in out.splitlines() if x.startswith("client_secret")]
    secret = line.split()[-1]
    assert code == 0 and len(secret) >= 43
    code, out, _ = run(capsys, "--json", "clients", "show", "chorus")
    assert code == 0 and json.loads(out)["client_id"] == "chorus" and secret not in out


def test_clients_show_never_shows_the_secret_or_its_hash(capsys) -> None:  # type: ignore[no-untyped-def]
    secret = add_client(capsys)["client_secret"]
    for args in (["clients", "show", "apa"], ["--json", "clients", "show", "apa"],
                 ["clients", "list"], ["--json", "clients", "list"]):
        code, out, _ = run(capsys, *args)
        assert code == 0 and "apa" in out, args
        assert secret not in out and hash_secret(secret) not in out, args
        assert "secret_hash" not in out, args


def test_clients_list_lists_every_client(capsys) -> None:  # type: ignore[no-untyped-def]
    assert "no clients" in run(capsys, "clients", "list")[1]
    add_client(capsys)
    run(capsys, "clients", "add", "--client-id", "chorus", "--auth-method", "private_key_jwt",
        "--jwks-uri", "https://chorus.example/jwks", "--redirect-uri",
        "https://chorus.example/cb")
    code, out, _ = run(capsys, "clients", "list")
    assert code == 0 and "apa" in out and "chorus" in out and "private_key_jwt" in out


def test_a_private_key_jwt_client_gets_no_secret(capsys) -> None:  # type: ignore[no-untyped-def]
    created = add_client(capsys, "--auth-method", "private_key_jwt",
                         "--jwks-uri", "https://apa.example/jwks")
    assert created["client_secret"] is None


def test_a_loopback_http_redirect_uri_is_accepted(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "--json", "clients", "add", "--client-id", "native",
                       "--auth-method", "none", "--redirect-uri", "http://127.0.0.1:8765/cb")
    assert code == 0 and json.loads(out)["redirect_uris"] == ["http://127.0.0.1:8765/cb"]


def test_an_http_redirect_uri_on_another_host_is_refused(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "clients", "add", "--client-id", "x",
                         "--redirect-uri", "http://127.0.0.1.nip.io/cb")
    assert code == 1 and out == "" and err.startswith("error: ") and "loopback" in err
    assert "no clients" in run(capsys, "clients", "list")[1]


def test_private_key_jwt_without_jwks_uri_is_refused(capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "clients", "add", "--client-id", "x", "--auth-method",
                       "private_key_jwt", "--redirect-uri", "https://x.example/cb")
    assert code == 1 and "--jwks-uri" in err


def test_removing_an_unknown_client_is_an_error(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "clients", "remove", "nobody")
    assert code == 1 and out == "" and "no client 'nobody'" in err


def test_users_show_never_prints_the_password_hash(capsys) -> None:  # type: ignore[no-untyped-def]
    run(capsys, "users", "add", "--username", "cbernard-xt", "--password", "Motdepasse-2026!")
    for args in (["users", "show", "cbernard-xt"], ["--json", "users", "show", "cbernard-xt"],
                 ["users", "list"], ["--json", "users", "list"]):
        code, out, _ = run(capsys, *args)
        assert code == 0 and "cbernard-xt" in out, args
        assert "$argon2" not in out and "password_hash" not in out, args
        assert "Motdepasse-2026!" not in out, args


def test_users_list_shows_who_is_disabled(capsys) -> None:  # type: ignore[no-untyped-def]
    for name in ("alice", "bob"):
        run(capsys, "users", "add", "--username", name, "--password", "Motdepasse-2026!")
    run(capsys, "users", "disable", "bob")
    code, out, _ = run(capsys, "--json", "users", "list")
    assert code == 0 and {u["username"]: u["disabled"] for u in json.loads(out)} == {
        "alice": False, "bob": True}


def test_users_add_takes_the_password_from_the_environment(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("IDP_NEW_PASSWORD", "Motdepasse-2026!")
    assert run(capsys, "users", "add", "--username", "alice")[0] == 0


def test_users_add_without_a_password_is_refused(capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "users", "add", "--username", "alice")
    assert code == 1 and "--password" in err


def test_a_duplicate_user_is_refused(capsys) -> None:  # type: ignore[no-untyped-def]
    run(capsys, "users", "add", "--username", "alice", "--password", "p")
    code, _, err = run(capsys, "users", "add", "--username", "alice", "--password", "q")
    assert code == 1 and "already exists" in err


@pytest.mark.parametrize("command", [["users", "show"], ["users", "disable"]])
def test_an_unknown_user_is_an_error(capsys, command) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, *command, "nobody")
    assert code == 1 and out == "" and "no user 'nobody'" in err


def test_keys_list_human_output_names_each_key(capsys) -> None:  # type: ignore[no-untyped-def]
    kids = [k["kid"] for k in json.loads(run(capsys, "--json", "keys", "list")[1])]
    code, out, _ = run(capsys, "keys", "list")
    assert code == 0 and all(kid in out for kid in kids) and len(kids) == 4


def test_keys_rotate_is_seen_by_the_next_command(capsys) -> None:  # type: ignore[no-untyped-def]
    rotated = json.loads(run(capsys, "--json", "keys", "rotate")[1])
    listed = json.loads(run(capsys, "--json", "keys", "list")[1])
    assert listed == rotated and sum(1 for k in listed if "retire_at" in k) == 2


def test_no_command_prints_the_help(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys)
    assert code == 2 and "usage: idp" in out
