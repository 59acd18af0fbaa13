"""The `idp` command: human output, --json for scripts, errors on stderr with exit 1."""

from __future__ import annotations

import json
import re

import pytest
from alembic.script import ScriptDirectory

from idp.cli import main
from idp.clock import SystemClock
from idp.oidc.clients import hash_secret
from idp.oidc.keys import KeyStore
from idp.storage.migrate import alembic_config


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("IDP_DATABASE_URL", f"sqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.setenv("IDP_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("IDP_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("IDP_ARGON2_TIME_COST", "1")


@pytest.fixture
def database(capsys) -> None:  # type: ignore[no-untyped-def]
    """An empty database at the current revision (read-only commands create none)."""
    assert run(capsys, "db", "upgrade")[0] == 0


@pytest.fixture
def signing_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Signing keys, as `idp serve` creates them (`keys list` creates none)."""
    KeyStore(tmp_path / "keys", SystemClock(), 86400)


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


def test_keys_list_and_rotate(capsys, signing_keys) -> None:  # type: ignore[no-untyped-def]
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


def test_clients_list_lists_every_client(capsys, database) -> None:  # type: ignore[no-untyped-def]
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


def test_removing_an_unknown_client_is_an_error(capsys, database) -> None:  # type: ignore[no-untyped-def]
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
def test_an_unknown_user_is_an_error(capsys, database, command) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, *command, "nobody")
    assert code == 1 and out == "" and "no user 'nobody'" in err


def test_keys_list_human_output_names_each_key(capsys, signing_keys) -> None:  # type: ignore[no-untyped-def]
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


# --json before or after the subcommand ------------------------------------------------------


def _leaf_commands(parser, prefix=()):  # type: ignore[no-untyped-def]
    """Every runnable command of the parser, e.g. ("clients", "show")."""
    import argparse

    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _leaf_commands(sub, (*prefix, name))
    return found or [prefix]


POSITIONAL = {("clients", "show"): ["x"], ("clients", "remove"): ["x"],
              ("clients", "update"): ["x"], ("clients", "rotate-secret"): ["x"]}


def test_every_command_accepts_json_before_or_after_the_subcommand() -> None:
    from idp.cli import build_parser

    parser = build_parser()
    commands = _leaf_commands(parser)
    assert ("clients", "list") in commands and ("users", "update") in commands
    for command in commands:
        needs = POSITIONAL.get(command) or (["u"] if command[0] in ("users", "providers")
                                            and command[1] not in
                                            ("add", "list", "check-identifiers") else [])
        required = {("clients", "add"): ["--client-id", "x"],
                    ("users", "add"): ["--username", "u"],
                    ("users", "set-identity"): [
                        "--given-name", "A", "--family-name", "B", "--birthdate",
                        "1962-08-24", "--gender", "male", "--birthcountry", "99134"],
                    ("providers", "add"): ["--id", "x", "--name", "X", "--client-id", "c"],
                    }.get(command, [])
        args = [*command, *needs, *required]
        assert parser.parse_args(["--json", *args]).json is True, command
        assert parser.parse_args([*args, "--json"]).json is True, command
        assert parser.parse_args([command[0], "--json", *args[1:]]).json is True, command
        assert parser.parse_args(args).json is False, command


def test_json_after_the_subcommand_prints_the_same_as_before(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "clients", "add", "--client-id", "apa",
                       "--redirect-uri", "https://apa.example/cb", "--json")
    assert code == 0 and json.loads(out)["client_id"] == "apa"
    before = run(capsys, "--json", "clients", "list")
    after = run(capsys, "clients", "list", "--json")
    assert before == after and json.loads(after[1])[0]["client_id"] == "apa"
    assert json.loads(run(capsys, "users", "add", "--username", "u", "--password", "p",
                          "--json")[1])["username"] == "u"


# Read-only commands create nothing ----------------------------------------------------------


READ_ONLY = [["clients", "list"], ["clients", "show", "apa"], ["users", "list"],
             ["users", "show", "alice"]]
CHANGE_EXISTING = [["clients", "remove", "apa"], ["users", "disable", "alice"],
                   ["users", "unlock", "alice"], ["users", "update", "alice", "--locality", "X"],
                   ["users", "reset-password", "alice"], ["users", "remove-second-factor", "alice"]]


@pytest.fixture
def elsewhere(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    """The default (relative) settings, run from an empty folder."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("IDP_DATABASE_URL")
    monkeypatch.delenv("IDP_KEYS_DIR")
    return folder


@pytest.mark.parametrize("command", READ_ONLY + CHANGE_EXISTING)
def test_commands_on_existing_things_never_create_a_database_or_keys(  # type: ignore[no-untyped-def]
        capsys, elsewhere, command):
    code, out, err = run(capsys, *command)
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and "does not exist" in err
    assert f"sqlite:///{elsewhere}/var/idp.sqlite3 (IDP_DATABASE_URL)" in err
    assert list(elsewhere.iterdir()) == []


def test_keys_list_never_creates_keys_and_names_the_folder(capsys, elsewhere) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "keys", "list")
    assert code != 0 and out == ""
    assert f"no signing keys in {elsewhere / 'keys'} (IDP_KEYS_DIR)" in err
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("command", READ_ONLY)
def test_read_only_commands_create_no_tables_in_an_empty_database(  # type: ignore[no-untyped-def]
        capsys, tmp_path, command):
    import sqlite3

    sqlite3.connect(tmp_path / "cli.sqlite3").close()  # an empty file
    code, _, err = run(capsys, *command)
    assert code != 0 and "has no tables" in err and "idp db upgrade" in err
    with sqlite3.connect(tmp_path / "cli.sqlite3") as c:
        assert c.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_read_only_commands_refuse_a_database_of_an_older_version(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from idp.storage.migrate import upgrade

    upgrade(f"sqlite:///{tmp_path}/cli.sqlite3", revision="0001")
    code, _, err = run(capsys, "users", "list")
    assert code != 0 and "at revision 0001" in err and "idp db upgrade" in err
    assert run(capsys, "users", "disable", "nobody")[2] == "error: no user 'nobody'\n"


def test_an_empty_list_from_an_existing_database_is_not_an_error(capsys, database) -> None:  # type: ignore[no-untyped-def]
    assert run(capsys, "clients", "list") == (0, "no clients\n", "")
    assert run(capsys, "--json", "users", "list") == (0, "[]\n", "")


def test_a_missing_postgresql_database_is_named_without_its_password(  # type: ignore[no-untyped-def]
        capsys, monkeypatch):
    monkeypatch.setenv("IDP_DATABASE_URL",
                       "postgresql+psycopg://postgres:s3cr3t@127.0.0.1:5432/idp_cli_absent")
    code, _, err = run(capsys, "clients", "list")
    assert code != 0 and "s3cr3t" not in err
    assert "postgresql+psycopg://postgres@127.0.0.1:5432/idp_cli_absent" in err
    assert "does not exist" in err


# A bad setting: one line, exit 2 ------------------------------------------------------------


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("IDP_ACCESS_TOKEN_TTL", "abc", "IDP_ACCESS_TOKEN_TTL='abc': not a whole number"),
    ("IDP_ACCESS_TOKEN_TTL", "-5", "IDP_ACCESS_TOKEN_TTL=-5: must be more than 0"),
    ("IDP_ACCESS_TOKEN_ALG", "HS256", "IDP_ACCESS_TOKEN_ALG='HS256': unknown value; "
                                      "allowed: ES256, RS256"),
    ("IDP_ISSUER", "idp.example", "IDP_ISSUER='idp.example': not an absolute URL"),
    ("IDP_ISSUER", "http://idp.example", "plain http is only allowed on loopback"),
    ("IDP_LOG_LEVEL", "loud", "allowed: debug, info, warning, error"),
    ("IDP_DATABASE_URL", "mysql://u:pw@db/x", "database 'mysql' is not supported"),
    ("IDP_PASSWORD_POLICIES_FILE", "/nonexistent.toml", "IDP_PASSWORD_POLICIES_FILE="),
    ("IDP_CONTENT_FILE", "/nonexistent.toml", "IDP_CONTENT_FILE=/nonexistent.toml: cannot read"),
])
@pytest.mark.parametrize("command", [["serve"], ["db", "upgrade"], ["clients", "list"],
                                     ["users", "add", "--username", "u", "--password", "p"],
                                     ["keys", "list"], ["keys", "rotate"]])
def test_a_bad_setting_is_one_line_with_exit_code_2(  # type: ignore[no-untyped-def]
        capsys, monkeypatch, tmp_path, variable, value, says, command):
    monkeypatch.setenv(variable, value)
    code, out, err = run(capsys, *command)
    assert code == 2 and out == ""
    assert err.startswith("idp: ") and err.count("\n") == 1 and says in err
    assert "pw@" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing created


def _process(program: str, *args: str, env: dict[str, str]):  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", program, *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})


def test_idp_serve_with_a_bad_setting_prints_no_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = _process("idp", "serve", "--port", "1", env={"IDP_ACCESS_TOKEN_TTL": "abc"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        "idp: IDP_ACCESS_TOKEN_TTL='abc': not a whole number; give a whole number "
        "(Lifetime of an access token (JWT), in seconds; default 600)"]


def test_idp_serve_refuses_a_content_file_with_a_script_link(tmp_path) -> None:  # type: ignore[no-untyped-def]
    content = tmp_path / "content.toml"
    content.write_text('[[guides]]\nlabel = "Aide"\nhref = "javascript:alert(1)"\n',
                       encoding="utf-8")
    done = _process("idp", "serve", "--port", "1", env={"IDP_CONTENT_FILE": str(content)})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"idp: IDP_CONTENT_FILE={content}: guides[0].href: a link must be https://host/..., "
        "http://host/... or a path starting with /"]


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("APA_PAGE_SIZE", "many", "APA_PAGE_SIZE='many': not a whole number"),
    ("APA_HUB_ISSUER", "http://hub.example", "plain http is only allowed on loopback"),
    ("APA_PROCESSOR", "nowhere.module:respond", "APA_PROCESSOR='nowhere.module:respond': "
                                                "cannot be loaded"),
])
@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["db", "upgrade"], ["purge"]])
def test_apa_with_a_bad_setting_prints_one_line_and_exits_2(  # type: ignore[no-untyped-def]
        tmp_path, monkeypatch, variable, value, says, command, capsys):
    from clients.apa.cli import main as apa_main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    assert apa_main(command) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("apa: ") and err.count("\n") == 1 and says in err
    assert list(tmp_path.iterdir()) == []


def test_apa_serve_with_a_bad_setting_prints_no_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = _process("clients.apa", "serve", "--port", "1", env={"APA_BASE_URL": "apa.example"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1 and "APA_BASE_URL='apa.example'" in done.stderr


# Users: address and update ------------------------------------------------------------------


def _user(capsys, *extra: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    return run(capsys, "--json", "users", "add", "--username", "alice", "--password", "p",
               *extra)


def test_users_add_stores_a_postal_address_shown_as_the_address_claim(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = _user(capsys, "--street-address", "20 avenue de Ségur\nBâtiment B",
                         "--postal-code", "75007", "--locality", "Paris", "--country", "France")
    assert code == 0
    assert json.loads(out)["address"] == {
        "street_address": "20 avenue de Ségur\nBâtiment B", "postal_code": "75007",
        "locality": "Paris", "country": "France",
        "formatted": "20 avenue de Ségur\nBâtiment B\n75007 Paris\nFrance"}
    code, out, _ = run(capsys, "users", "show", "alice")
    assert code == 0
    assert re.search(r"^address +20 avenue de Ségur, Bâtiment B, 75007 Paris, France$", out,
                     re.MULTILINE)


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--street-address", "1 rue\x00 de la Paix", "--street-address: character U+0000"),
    ("--locality", "Pa\x1bris", "--locality: character U+001B is not allowed"),
    ("--locality", "Paris\nLyon", "--locality: character U+000A is not allowed"),
    ("--postal-code", "7" * 17, "--postal-code: at most 16 characters, got 17"),
    ("--country", "F" * 65, "--country: at most 64 characters, got 65"),
    ("--region", "R" * 129, "--region: at most 128 characters"),
    ("--street-address", "a\nb\nc\nd\ne", "--street-address: at most 4 lines, got 5"),
    ("--street-address", "x" * 256, "--street-address: at most 255 characters"),
])
def test_an_address_with_forbidden_characters_or_too_long_is_refused(  # type: ignore[no-untyped-def]
        capsys, option, value, says):
    code, out, err = _user(capsys, option, value)
    assert code == 1 and out == "" and says in err and err.count("\n") == 1
    assert run(capsys, "users", "show", "alice")[2] == "error: no user 'alice'\n"


def test_users_update_changes_only_the_given_fields(capsys) -> None:  # type: ignore[no-untyped-def]
    _user(capsys, "--email", "a@example.test", "--given-name", "Alice", "--group", "apa",
          "--locality", "Paris", "--postal-code", "75007")
    code, out, _ = run(capsys, "--json", "users", "update", "alice", "--locality", "Lyon",
                       "--postal-code", "69001", "--family-name", "Martin", "--group", "chorus",
                       "--group", "apa")
    updated = json.loads(out)
    assert code == 0 and updated["family_name"] == "Martin" and updated["given_name"] == "Alice"
    assert updated["email"] == "a@example.test" and updated["groups"] == ["chorus", "apa"]
    assert updated["address"]["formatted"] == "69001 Lyon"
    shown = json.loads(run(capsys, "--json", "users", "show", "alice")[1])
    assert shown.pop("federation_links") == [] and {k: shown[k] for k in updated} == updated


def test_users_update_with_an_empty_value_clears_the_field(capsys) -> None:  # type: ignore[no-untyped-def]
    _user(capsys, "--siret", "21750001600019", "--locality", "Paris", "--group", "apa")
    code, out, _ = run(capsys, "--json", "users", "update", "alice", "--siret", "",
                       "--locality", "", "--group", "")
    updated = json.loads(out)
    assert code == 0 and updated["siret"] is None and updated["address"] is None
    assert updated["groups"] == []


def test_users_update_never_touches_the_password(capsys) -> None:  # type: ignore[no-untyped-def]
    from idp.cli import build_parser

    _user(capsys)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["users", "update", "alice", "--password", "x"])
    capsys.readouterr()


@pytest.mark.parametrize(("args", "says"), [
    (["alice"], "nothing to update"),
    (["alice", "--siret", "123"], "a SIRET has 14 digits"),
    (["alice", "--locality", "a\x00b"], "--locality: character U+0000"),
    (["nobody", "--locality", "Paris"], "no user 'nobody'"),
])
def test_users_update_refusals_are_clear(capsys, args, says) -> None:  # type: ignore[no-untyped-def]
    _user(capsys, "--locality", "Nantes")
    code, out, err = run(capsys, "users", "update", *args)
    assert code == 1 and out == "" and says in err
    shown = json.loads(run(capsys, "--json", "users", "show", "alice")[1])
    assert shown["address"]["locality"] == "Nantes"


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--given-name", "Ali\x00ce", "--given-name: character U+0000 is not allowed"),
    ("--family-name", "M" * 257, "--family-name: at most 256 characters"),
    ("--email", "a\nb@example.test", "--email: character U+000A is not allowed"),
    ("--phone", "+33" + "6" * 40, "--phone: at most 32 characters"),
])
@pytest.mark.parametrize("command", ["add", "update"])
def test_account_texts_with_control_characters_or_too_long_are_refused(  # type: ignore[no-untyped-def]
        capsys, option, value, says, command):
    if command == "update":
        _user(capsys)
        args = ["users", "update", "alice"]
    else:
        args = ["users", "add", "--username", "alice", "--password", "p"]
    code, out, err = run(capsys, *args, option, value)
    assert code == 1 and out == "" and says in err


def test_clients_add_registers_signed_answers_and_show_displays_them(capsys) -> None:  # type: ignore[no-untyped-def]
    created = add_client(capsys, "--introspection-signed-alg", "ES256",
                         "--userinfo-signed-alg", "RS256")
    assert created["introspection_signed_response_alg"] == "ES256"
    assert created["userinfo_signed_response_alg"] == "RS256"
    code, out, _ = run(capsys, "--json", "clients", "show", "apa")
    shown = json.loads(out)
    assert code == 0 and shown["introspection_signed_response_alg"] == "ES256"
    assert shown["userinfo_signed_response_alg"] == "RS256"
    code, out, _ = run(capsys, "clients", "show", "apa")
    assert code == 0 and "introspection_signed_response_alg" in out and "ES256" in out


def test_without_the_options_answers_stay_json(capsys) -> None:  # type: ignore[no-untyped-def]
    created = add_client(capsys)
    assert created["introspection_signed_response_alg"] is None
    assert created["userinfo_signed_response_alg"] is None


@pytest.mark.parametrize("option", ["--introspection-signed-alg", "--userinfo-signed-alg"])
@pytest.mark.parametrize("alg", ["none", "HS256", "rs256"])
def test_clients_add_refuses_other_answer_algorithms(capsys, option, alg) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exit_:
        main(["clients", "add", "--client-id", "x", "--redirect-uri", "https://x.example/cb",
              option, alg])
    assert exit_.value.code == 2 and "invalid choice" in capsys.readouterr().err


# clients: consent mode, citizen-facing, update ----------------------------------------------


def test_clients_add_records_the_consent_mode_and_citizen_facing(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "clients", "add", "--client-id", "mairie",
                       "--redirect-uri", "https://mairie.example/cb", "--consent", "information",
                       "--citizen-facing", "--json")
    assert code == 0
    value = json.loads(out)
    assert value["consent_mode"] == "information" and value["citizen_facing"] is True
    code, out, _ = run(capsys, "clients", "add", "--client-id", "plain",
                       "--redirect-uri", "https://plain.example/cb", "--json")
    value = json.loads(out)
    assert value["consent_mode"] == "explicit" and value["citizen_facing"] is False


def test_clients_add_refuses_an_unknown_consent_mode(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exit_:
        main(["clients", "add", "--client-id", "x", "--redirect-uri", "https://x.example/cb",
              "--consent", "implicit"])
    assert exit_.value.code == 2
    assert "invalid choice: 'implicit'" in capsys.readouterr().err


def test_clients_update_changes_only_the_fields_given(capsys) -> None:  # type: ignore[no-untyped-def]
    run(capsys, "clients", "add", "--client-id", "mairie", "--name", "Mairie",
        "--redirect-uri", "https://mairie.example/cb", "--scope", "openid profile")
    code, out, _ = run(capsys, "clients", "update", "mairie", "--consent", "none",
                       "--citizen-facing", "--redirect-uri", "https://mairie.example/a",
                       "--redirect-uri", "https://mairie.example/b", "--json")
    assert code == 0
    value = json.loads(out)
    assert value["consent_mode"] == "none" and value["citizen_facing"] is True
    assert value["redirect_uris"] == ["https://mairie.example/a", "https://mairie.example/b"]
    assert value["name"] == "Mairie" and value["scope"] == "openid profile"
    code, out, _ = run(capsys, "clients", "update", "mairie", "--not-citizen-facing",
                       "--name", "Mairie de Lyon", "--scope", "openid identite_pivot email")
    assert code == 0 and "citizen_facing" in out and "Mairie de Lyon" in out
    shown = json.loads(run(capsys, "clients", "show", "mairie", "--json")[1])
    assert shown["citizen_facing"] is False and shown["consent_mode"] == "none"
    assert shown["scope"] == "openid identite_pivot email"


@pytest.mark.parametrize(("options", "message"), [
    ([], "nothing to change"),
    (["--redirect-uri", "http://example.com/cb"], "plain http is only allowed on loopback"),
    (["--scope", "openid \"quoted\""], "invalid scope"),
    (["--scope", " "], "invalid scope"),
    (["--name", " "], "the name must be"),
    (["--registration-scopes", "a\"b"], "invalid scope"),
    (["--registration-audience", "an api"], "invalid audience"),
    (["--registration-max-secret-days", "-1"], "longest secret lifetime"),
    (["--registration-max-secret-days", "4000"], "longest secret lifetime"),
])
def test_clients_update_refuses_bad_values(capsys, options, message) -> None:  # type: ignore[no-untyped-def]
    run(capsys, "clients", "add", "--client-id", "mairie",
        "--redirect-uri", "https://mairie.example/cb")
    code, _, err = run(capsys, "clients", "update", "mairie", *options)
    assert code == 1 and message in err
    shown = json.loads(run(capsys, "clients", "show", "mairie", "--json")[1])
    assert shown["redirect_uris"] == ["https://mairie.example/cb"]


def test_clients_update_sets_the_registration_policy(capsys) -> None:  # type: ignore[no-untyped-def]
    run(capsys, "clients", "add", "--client-id", "chorus", "--scope", "registration",
        "--grant-type", "client_credentials")
    code, out, _ = run(capsys, "clients", "update", "chorus", "--registration-scopes",
                       "chorus.factures  chorus.structures", "--registration-audience",
                       "chorus-api", "--registration-audience", "chorus-api-2",
                       "--registration-max-secret-days", "424", "--json")
    assert code == 0
    value = json.loads(out)
    assert value["registration_scope"] == "chorus.factures chorus.structures"
    assert value["registration_audiences"] == ["chorus-api", "chorus-api-2"]
    assert value["registration_max_secret_days"] == 424
    assert value["owner_client_id"] is None
    code, out, _ = run(capsys, "clients", "update", "chorus", "--registration-scopes", "",
                       "--registration-audience", "", "--registration-max-secret-days", "0",
                       "--json")
    value = json.loads(out)
    assert value["registration_scope"] is None and value["registration_audiences"] == []
    assert value["registration_max_secret_days"] is None


def test_clients_update_of_an_unknown_client_is_an_error(capsys, database) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "clients", "update", "nobody", "--consent", "none")
    assert code == 1 and "no client 'nobody'" in err


# Issue 15: dates and the read-only `users show` -------------------------------------------


def test_users_show_creates_no_keys_and_says_the_lock_is_unknown_without_them(  # type: ignore[no-untyped-def]
        capsys, tmp_path):
    import shutil

    _user(capsys)
    shutil.rmtree(tmp_path / "keys")
    code, out, _ = run(capsys, "--json", "users", "show", "alice")
    assert code == 0 and json.loads(out)["lock_known"] is False
    code, out, _ = run(capsys, "users", "show", "alice")
    assert re.search(r"^locked +unknown \(no keys folder here\)$", out, re.MULTILINE)
    assert not (tmp_path / "keys").exists()


def test_dates_are_iso_8601_in_json_and_readable_in_text(capsys, signing_keys) -> None:  # type: ignore[no-untyped-def]
    iso = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
    run(capsys, "keys", "rotate")
    keys = json.loads(run(capsys, "--json", "keys", "list")[1])
    assert all(iso.fullmatch(k["created_at"]) for k in keys)
    assert all(iso.fullmatch(k["retire_at"]) for k in keys if "retire_at" in k)
    assert re.search(r"retire_at \d{4}-\d\d-\d\d \d\d:\d\d UTC", run(capsys, "keys", "list")[1])
    created = add_client(capsys, "--secret-lifetime-days", "10")
    assert iso.fullmatch(created["created_at"]) and iso.fullmatch(created["secret_expires_at"])
    user = json.loads(_user(capsys, "--json")[1])
    assert iso.fullmatch(user["created_at"]) and user["last_login_at"] is None
