"""`idp providers ...`: add, list, show, update, enable, disable, remove; --json; one-line
refusals with exit status 2; the client secret never printed, never stored in clear."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from idp.cli import main

DISCOVERY = "https://fi.example/.well-known/openid-configuration"
SECRET = "Upstream-Secret-4f9c2a7d"


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("IDP_DATABASE_URL", f"sqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.setenv("IDP_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv("IDP_PROVIDER_CLIENT_SECRET", raising=False)


@pytest.fixture
def secret_file(tmp_path: Path) -> str:
    path = tmp_path / "secret"
    path.write_text(SECRET + "\n")
    return str(path)


def run(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def add(capsys, secret_file: str, *extra: str, fi: str = "fi-one") -> dict:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "--json", "providers", "add", "--id", fi, "--name",
                         f"FI {fi}", "--client-id", "hub", "--discovery-url", DISCOVERY,
                         "--client-secret-file", secret_file, *extra)
    assert code == 0, err
    return json.loads(out)


def stored_rows(tmp_path: Path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        return db.execute("SELECT * FROM identity_providers").fetchall()


def test_add_registers_the_fi_and_never_prints_its_secret(capsys, secret_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = add(capsys, secret_file, "--acr", "eidas1,eidas2", "--scopes", "openid,profile")
    assert data["id"] == "fi-one" and data["secret"] == "set" and data["state"] == "available"
    assert data["acr_values"] == ["eidas1", "eidas2"] and data["scopes"] == ["openid", "profile"]
    assert data["position"] == 0 and data["shown"] is True and data["enabled"] is True
    assert SECRET not in json.dumps(data)
    [row] = stored_rows(tmp_path)
    assert not any(SECRET in str(value) for value in row)  # sealed, not in clear


def test_the_stored_secret_is_the_one_given(capsys, secret_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from idp.clock import SystemClock
    from idp.federation.registry import ProviderRegistry
    from idp.oidc.keys import KeyStore
    from sitekit.storage.database import Database

    add(capsys, secret_file)
    db = Database(os.environ["IDP_DATABASE_URL"])
    try:
        registry = ProviderRegistry(db, KeyStore(tmp_path / "keys", SystemClock(), 86400),
                                    SystemClock(), 0, 3, 60)
        provider = registry.get("fi-one")
        assert provider is not None and provider.client_secret == SECRET
    finally:
        db.dispose()


def test_list_and_show_give_everything_but_the_secret(capsys, secret_file) -> None:  # type: ignore[no-untyped-def]
    add(capsys, secret_file)
    add(capsys, secret_file, "--hidden", "--auth-method", "client_secret_post", fi="fi-two")
    code, out, _ = run(capsys, "--json", "providers", "list")
    rows = json.loads(out)
    assert code == 0 and [r["id"] for r in rows] == ["fi-one", "fi-two"]
    assert [r["position"] for r in rows] == [0, 1] and rows[1]["shown"] is False
    assert SECRET not in out and "sealed" not in out
    code, out, _ = run(capsys, "providers", "list")
    assert code == 0 and "fi-two" in out and "hidden" in out and "available   since 20" in out
    code, out, _ = run(capsys, "providers", "show", "fi-two")
    assert code == 0 and "client_secret_post" in out and SECRET not in out
    assert "secret                      set" in out


def test_private_key_jwt_fi_has_no_secret(capsys, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("IDP_PROVIDER_CLIENT_SECRET", SECRET)  # ignored: no secret needed
    code, out, err = run(capsys, "--json", "providers", "add", "--id", "fi-jwt", "--name", "J",
                         "--client-id", "hub", "--issuer", "https://j.example",
                         "--authorization-endpoint", "https://j.example/a",
                         "--token-endpoint", "https://j.example/t",
                         "--jwks-uri", "https://j.example/jwks",
                         "--auth-method", "private_key_jwt")
    assert code == 0, err
    assert json.loads(out)["secret"] == "not set"


def test_the_secret_may_come_from_the_environment(capsys, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("IDP_PROVIDER_CLIENT_SECRET", SECRET)
    code, out, err = run(capsys, "--json", "providers", "add", "--id", "fi-env", "--name", "E",
                         "--client-id", "hub", "--discovery-url", DISCOVERY)
    assert code == 0, err
    assert json.loads(out)["secret"] == "set"
    assert SECRET not in out + err


def test_a_secret_on_the_command_line_is_refused_without_echo(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exit_:
        main(["providers", "add", "--id", "fi-one", "--name", "x", "--client-id", "hub",
              "--discovery-url", DISCOVERY, "--client-secret", SECRET])
    _, err = capsys.readouterr()
    assert exit_.value.code == 2 and "never give a client secret" in err and SECRET not in err
    assert not (tmp_path / "cli.sqlite3").exists()
    with pytest.raises(SystemExit) as exit_:  # no abbreviation taken for --client-secret-file
        main(["providers", "add", "--id", "fi-one", "--name", "x", "--client-id", "hub",
              "--client-secret-f", SECRET])
    assert exit_.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err
    assert not (tmp_path / "cli.sqlite3").exists()


def test_without_any_secret_source_the_error_says_where_to_give_it(capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "providers", "add", "--id", "fi-one", "--name", "x",
                       "--client-id", "hub", "--discovery-url", DISCOVERY)
    assert code == 2 and "needs a client secret" in err and "--client-secret-file" in err


def test_a_missing_secret_file_is_one_line(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "providers", "add", "--id", "fi-one", "--name", "x",
                       "--client-id", "hub", "--discovery-url", DISCOVERY,
                       "--client-secret-file", str(tmp_path / "none"))
    assert code == 2 and err.count("\n") == 1 and "cannot read it" in err


@pytest.mark.parametrize(("extra", "expected"), [
    (("--id", "Bad_Id"), "--id"),
    (("--name", "x" * 81), "--name"),
    (("--discovery-url", "http://fi.example/.well-known/openid-configuration"), "https"),
    (("--discovery-url", "https://fi.example/"), "/.well-known/openid-configuration"),
    (("--auth-method", "none"), "--auth-method"),
    (("--scopes", "profile email"), "openid"),
    (("--acr", "eidas9"), "--acr"),
    (("--position", "-3"), "--position"),
    (("--logo", "/static/../keys/hash.key"), "--logo"),
])
def test_bad_values_are_refused_with_one_line_and_exit_2(capsys, secret_file, extra,  # type: ignore[no-untyped-def]
                                                        expected, tmp_path) -> None:
    options = {"--id": "fi-one", "--name": "FI", "--client-id": "hub",
               "--discovery-url": DISCOVERY, "--client-secret-file": secret_file}
    options.update(dict(zip(extra[::2], extra[1::2], strict=True)))
    code, out, err = run(capsys, "providers", "add", *[x for kv in options.items() for x in kv])
    assert code == 2 and out == "" and err.startswith("idp: ") and expected in err
    assert err.count("\n") == 1 and SECRET not in err


def test_a_duplicate_id_is_refused(capsys, secret_file) -> None:  # type: ignore[no-untyped-def]
    add(capsys, secret_file)
    code, _, err = run(capsys, "providers", "add", "--id", "fi-one", "--name", "Other",
                       "--client-id", "hub", "--discovery-url", DISCOVERY,
                       "--client-secret-file", secret_file)
    assert code == 2 and "already exists" in err and "Warning" not in err


def test_update_changes_fields_clears_optional_ones_and_keeps_the_secret(  # type: ignore[no-untyped-def]
        capsys, secret_file, tmp_path) -> None:
    add(capsys, secret_file, "--logo", "/static/fi.svg")
    [before] = stored_rows(tmp_path)
    code, out, err = run(capsys, "--json", "providers", "update", "fi-one", "--name", "Renamed",
                         "--logo", "", "--position", "7", "--hidden", "--acr", "eidas2")
    data = json.loads(out)
    assert code == 0, err
    assert (data["display_name"], data["logo_url"], data["position"], data["shown"],
            data["acr_values"], data["secret"]) == ("Renamed", None, 7, False, ["eidas2"], "set")
    [after] = stored_rows(tmp_path)
    sealed = [i for i, v in enumerate(before) if isinstance(v, str) and v.startswith("gAAAA")]
    assert [before[i] for i in sealed] == [after[i] for i in sealed]  # not sealed again


def test_update_replaces_the_secret_only_when_asked(capsys, secret_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add(capsys, secret_file)
    [before] = stored_rows(tmp_path)
    new_secret = tmp_path / "new"
    new_secret.write_text("Another-Secret-99")
    code, out, _ = run(capsys, "providers", "update", "fi-one", "--client-secret-file",
                       str(new_secret))
    assert code == 0 and "Another-Secret-99" not in out
    [after] = stored_rows(tmp_path)
    assert before != after and not any("Another-Secret-99" in str(v) for v in after)


def test_update_refuses_bad_values_and_unknown_fis(capsys, secret_file) -> None:  # type: ignore[no-untyped-def]
    add(capsys, secret_file)
    code, _, err = run(capsys, "providers", "update", "fi-one", "--discovery-url", "")
    assert code == 2 and "missing" in err  # neither discovery nor explicit endpoints
    code, _, err = run(capsys, "providers", "update", "fi-one", "--scopes", "email")
    assert code == 2 and "openid" in err
    code, _, err = run(capsys, "providers", "update", "nope", "--name", "x")
    assert code == 1 and "no FI 'nope'" in err
    code, _, err = run(capsys, "providers", "update", "fi-one")
    assert code == 1 and "nothing to update" in err


def test_moving_to_private_key_jwt_drops_the_secret(capsys, secret_file) -> None:  # type: ignore[no-untyped-def]
    add(capsys, secret_file)
    code, out, err = run(capsys, "--json", "providers", "update", "fi-one", "--auth-method",
                         "private_key_jwt")
    assert code == 0, err
    assert json.loads(out)["secret"] == "not set"


def test_disable_then_enable(capsys, secret_file) -> None:  # type: ignore[no-untyped-def]
    add(capsys, secret_file)
    code, out, _ = run(capsys, "providers", "disable", "fi-one")
    assert code == 0 and out.startswith("FI fi-one disabled since 20")
    code, out, _ = run(capsys, "--json", "providers", "list")
    assert json.loads(out)[0]["state"] == "disabled" and json.loads(out)[0]["enabled"] is False
    code, out, _ = run(capsys, "providers", "enable", "fi-one", "--json")
    assert code == 0 and json.loads(out)["state"] == "available"


def test_remove(capsys, secret_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add(capsys, secret_file)
    code, out, _ = run(capsys, "--json", "providers", "remove", "fi-one")
    assert code == 0 and json.loads(out) == {"removed": "fi-one"}
    assert stored_rows(tmp_path) == []
    code, _, err = run(capsys, "providers", "remove", "fi-one")
    assert code == 1 and "no FI 'fi-one'" in err
    for command in ("show", "enable", "disable"):
        assert run(capsys, "providers", command, "fi-one")[0] == 1


def test_reading_commands_create_nothing(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "providers", "list")
    assert code == 1 and "error:" in err and not (tmp_path / "cli.sqlite3").exists()


def test_list_of_no_fi(capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(capsys, "db", "upgrade")[0] == 0
    assert run(capsys, "providers", "list")[1] == "no FI\n"


def test_clients_add_takes_an_allow_list_of_fis(capsys, secret_file) -> None:  # type: ignore[no-untyped-def]
    add(capsys, secret_file)
    add(capsys, secret_file, fi="fi-two")
    base = ("--json", "clients", "add", "--redirect-uri", "https://apa.example/cb")
    code, out, _ = run(capsys, *base, "--client-id", "a", "--providers", "fi-one, fi-two")
    assert code == 0 and json.loads(out)["allowed_providers"] == ["fi-one", "fi-two"]
    code, out, _ = run(capsys, *base, "--client-id", "b", "--providers", "")
    assert code == 0 and json.loads(out)["allowed_providers"] is None
    code, out, _ = run(capsys, *base, "--client-id", "c")
    assert code == 0 and json.loads(out)["allowed_providers"] is None
    code, _, err = run(capsys, *base, "--client-id", "d", "--providers", "fi-one,ghost")
    assert code == 2 and "no FI 'ghost'" in err
    code, _, err = run(capsys, *base, "--client-id", "e", "--providers", "Bad!")
    assert code == 2 and "--id" in err
    code, out, _ = run(capsys, "--json", "clients", "show", "a")
    assert json.loads(out)["allowed_providers"] == ["fi-one", "fi-two"]


def test_clients_update_changes_the_allow_list(capsys, secret_file) -> None:  # type: ignore[no-untyped-def]
    add(capsys, secret_file)
    assert run(capsys, "clients", "add", "--client-id", "a", "--redirect-uri",
               "https://apa.example/cb")[0] == 0
    code, out, _ = run(capsys, "--json", "clients", "update", "a", "--providers", "fi-one")
    assert code == 0 and json.loads(out)["allowed_providers"] == ["fi-one"]
    code, _, err = run(capsys, "clients", "update", "a", "--providers", "ghost")
    assert code == 2 and "no FI 'ghost'" in err
    code, out, _ = run(capsys, "--json", "clients", "update", "a", "--providers", "")
    assert code == 0 and json.loads(out)["allowed_providers"] is None
