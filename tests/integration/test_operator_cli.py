"""The operator's commands of issue 15 through `idp.cli.main`, on the test database (SQLite or
PostgreSQL): clients update and rotate-secret, users enable, group changes, users show for the
assistance desk, audit list; hostile values answered with one line and exit 1."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from idp.app import create_app
from idp.cli import main
from idp.runtime import Runtime
from idp.storage.models import AuditEvent
from tests.conftest import ISSUER
from tests.factories import PASSWORD
from tests.oidc_helpers import login


@pytest.fixture(autouse=True)
def operator_environment(rt, monkeypatch):  # type: ignore[no-untyped-def]
    """The commands use the test database and keys folder, with fast hashing."""
    monkeypatch.setenv("IDP_DATABASE_URL", rt.settings.database_url)
    monkeypatch.setenv("IDP_KEYS_DIR", rt.settings.keys_dir)
    monkeypatch.setenv("IDP_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("IDP_ARGON2_TIME_COST", "1")


def run(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *args: str):  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "--json", *args)
    assert code == 0, err
    return json.loads(out)


def events(rt, name: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with rt.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event == name)
                              .order_by(AuditEvent.id)))


def client_credentials(http: TestClient, client_id: str, secret: str):  # type: ignore[no-untyped-def]
    return http.post("/token", data={"grant_type": "client_credentials"},
                     auth=(client_id, secret))


# clients rotate-secret ----------------------------------------------------------------------


@pytest.fixture
def caching_http(rt: Runtime) -> Iterator[TestClient]:
    """Another hub process whose cached clients last an hour: only the database's
    clients_version, checked at most once a second, tells it a client changed."""
    settings = dataclasses.replace(rt.settings, client_cache_ttl=3600.0)
    other = Runtime.build(settings, rt.clock)
    with TestClient(create_app(settings, runtime=other), base_url=ISSUER) as client:
        yield client
    other.close()


def test_rotate_secret_prints_a_new_secret_once_and_the_old_one_is_refused_everywhere(  # type: ignore[no-untyped-def]
        capsys, factories, rt, caching_http):
    made = factories.client("batch", grant_types=["client_credentials"])
    assert client_credentials(caching_http, "batch", made.secret).status_code == 200  # cached
    code, out, err = run(capsys, "clients", "rotate-secret", "batch")
    assert code == 0 and err == ""
    new = re.search(r"^client_secret +(\S+)$", out, re.MULTILINE).group(1)  # type: ignore[union-attr]
    assert len(new) >= 43 and new != made.secret and "will not be shown again" in out
    time.sleep(1.1)  # the version is checked at most once a second
    assert client_credentials(caching_http, "batch", made.secret).status_code == 401
    assert client_credentials(caching_http, "batch", new).status_code == 200
    shown = run(capsys, "--json", "clients", "show", "batch")[1]
    assert new not in shown and made.secret not in shown
    [event] = events(rt, "client.secret_rotated")
    assert event.client_id == "batch" and event.detail["by"] == "operator"
    assert new not in json.dumps(event.detail) and made.secret not in json.dumps(event.detail)


def test_rotate_secret_with_a_lifetime_sets_the_expiry_in_iso_8601(capsys, factories) -> None:  # type: ignore[no-untyped-def]
    factories.client("batch", grant_types=["client_credentials"])
    rotated = run_json(capsys, "clients", "rotate-secret", "batch", "--secret-lifetime-days",
                       "30")
    expires = rotated["client_secret_expires_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", expires)
    assert run_json(capsys, "clients", "show", "batch")["secret_expires_at"] == expires


@pytest.mark.parametrize(("options", "says"), [
    ({"auth_method": "none"}, "authenticates with none: it has no secret to rotate"),
    ({"auth_method": "private_key_jwt", "jwks_uri": "https://keys.example/jwks"},
     "authenticates with private_key_jwt: it has no secret to rotate"),
])
def test_rotate_secret_is_refused_for_a_client_without_a_secret(  # type: ignore[no-untyped-def]
        capsys, factories, rt, options, says):
    factories.client("nosecret", **options)
    code, out, err = run(capsys, "clients", "rotate-secret", "nosecret")
    assert code == 1 and out == "" and says in err and err.count("\n") == 1
    assert events(rt, "client.secret_rotated") == []


# clients update -----------------------------------------------------------------------------


def test_clients_update_changes_what_add_sets_and_is_audited(capsys, factories, rt) -> None:  # type: ignore[no-untyped-def]
    factories.client("apa")
    updated = run_json(
        capsys, "clients", "update", "apa", "--post-logout-redirect-uri",
        "https://apa.example/bye", "--grant-type", "authorization_code", "--auth-method",
        "client_secret_post", "--audience", "apa", "--audience", "https://api.example",
        "--backchannel-logout-uri", "https://apa.example/bcl", "--home-url",
        "https://apa.example/", "--access-rule", "group:apa population:portal",
        "--id-token-alg", "ES256", "--userinfo-signed-alg", "RS256",
        "--secret-lifetime-days", "90")
    assert updated["post_logout_redirect_uris"] == ["https://apa.example/bye"]
    assert updated["grant_types"] == ["authorization_code"]
    assert updated["token_endpoint_auth_method"] == "client_secret_post"
    assert updated["audience"] == ["apa", "https://api.example"]
    assert updated["backchannel_logout_uri"] == "https://apa.example/bcl"
    assert updated["access_rule"] == "group:apa population:portal"
    assert updated["id_token_signed_response_alg"] == "ES256"
    assert updated["userinfo_signed_response_alg"] == "RS256"
    assert updated["secret_expires_at"].endswith("Z")
    cleared = run_json(capsys, "clients", "update", "apa", "--userinfo-signed-alg", "",
                       "--access-rule", "", "--post-logout-redirect-uri", "",
                       "--secret-lifetime-days", "0")
    assert cleared["userinfo_signed_response_alg"] is None and cleared["access_rule"] is None
    assert cleared["post_logout_redirect_uris"] == [] and cleared["secret_expires_at"] is None
    first, _ = events(rt, "client.updated")
    assert first.detail["by"] == "operator" and "access_rule" in first.detail["fields"]
    assert "https://apa.example/bcl" not in json.dumps(first.detail)  # names, not values


@pytest.mark.parametrize(("args", "says"), [
    (["--redirect-uri", "http://evil.example/cb"], "plain http is only allowed on loopback"),
    (["--grant-type", "client_credentials", "--auth-method", "client_secret_basic",
      "--access-rule", "attribute:password_hash"], "attribute is one of"),
    (["--access-rule", "role:admin"], "invalid access rule"),
    (["--audience", "a b"], "invalid audience"),
    (["--home-url", "javascript:alert(1)"], "invalid URI"),
    (["--secret-lifetime-days", "-1"], "0 (never expires) to 3650 days"),
    (["--jwks-uri", "https://k.example/jwks\x00"], "invalid URI"),
    (["--name", "x" * 100_000], "1 to 255 printable characters"),
    ([], "nothing to change"),
])
def test_clients_update_refuses_unsafe_values_with_one_line(  # type: ignore[no-untyped-def]
        capsys, factories, rt, args, says):
    factories.client("apa")
    before = run_json(capsys, "clients", "show", "apa")
    code, out, err = run(capsys, "clients", "update", "apa", *args)
    assert code == 1 and out == "" and says in err and err.count("\n") == 1
    assert run_json(capsys, "clients", "show", "apa") == before


def test_clients_update_keeps_a_code_flow_client_coherent(capsys, factories) -> None:  # type: ignore[no-untyped-def]
    factories.client("pub", auth_method="none")
    code, _, err = run(capsys, "clients", "update", "pub", "--grant-type", "authorization_code",
                       "--grant-type", "client_credentials")
    assert code == 1 and "cannot use client_credentials" in err
    code, _, err = run(capsys, "clients", "update", "pub", "--auth-method", "client_secret_post")
    assert code == 1 and "authenticates with none" in err


def test_an_unknown_or_hostile_client_id_is_one_line(capsys, rt) -> None:  # type: ignore[no-untyped-def]
    for command in (["clients", "rotate-secret"], ["clients", "update", "--name", "X"],
                    ["clients", "show"], ["clients", "remove"]):
        for client_id in ("ghost", "gh\x1b[2Jost", "nul\x00id", "bad\udcffbyte", "x" * 5000):
            code, out, err = run(capsys, *command[:2], client_id, *command[2:])
            assert code == 1 and out == "" and "no client" in err
            assert "\x1b" not in err and err.count("\n") == 1 and len(err) < 300


# users enable, groups, show -----------------------------------------------------------------


def test_users_enable_is_the_twin_of_disable_both_audited(capsys, factories, rt, http) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice")
    assert run(capsys, "users", "disable", "alice")[0] == 0
    assert login(http, "alice", PASSWORD).status_code != 303
    assert run(capsys, "users", "enable", "alice")[1] == "user alice enabled\n"
    assert run(capsys, "users", "enable", "alice")[1] == "user alice was not disabled\n"
    assert login(http, "alice", PASSWORD).status_code == 303
    assert [e.detail["changed"] for e in events(rt, "account.enabled_by_operator")] == [
        True, False]
    assert len(events(rt, "account.disabled_by_operator")) == 1


def test_groups_are_added_and_removed_and_access_rules_follow(capsys, factories, rt) -> None:  # type: ignore[no-untyped-def]
    from idp.oidc.checks.entitlement import is_entitled
    from idp.storage.repositories import accounts as accounts_repo

    factories.account("alice", groups=["chorus"])
    data = run_json(capsys, "users", "update", "alice", "--add-group", "apa",
                    "--add-group", "apa", "--remove-group", "chorus")
    assert data["groups"] == ["apa"]
    with rt.db.read() as s:
        account = accounts_repo.find_by_login(s, "alice")
        assert is_entitled(account, "group:apa") and not is_entitled(account, "group:chorus")
    [event] = events(rt, "account.updated_by_operator")
    assert event.detail["groups_added"] == ["apa"]
    assert event.detail["groups_removed"] == ["chorus"]


@pytest.mark.parametrize(("args", "says"), [
    (["--add-group", "a b"], "invalid group"),
    (["--add-group", "x\x00y"], "invalid group"),
    (["--add-group", "g" * 65], "invalid group"),
    (["--group", "apa", "--add-group", "x"], "do not mix"),
])
def test_bad_group_changes_are_refused(capsys, factories, args, says) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice", groups=["chorus"])
    code, out, err = run(capsys, "users", "update", "alice", *args)
    assert code == 1 and out == "" and says in err and err.count("\n") == 1
    assert run_json(capsys, "users", "show", "alice")["groups"] == ["chorus"]


def test_users_show_tells_the_desk_about_lock_second_factor_and_password(  # type: ignore[no-untyped-def]
        capsys, factories, rt, http):
    factories.authenticator(factories.account("alice"))
    for _ in range(rt.settings.login_max_failures):
        login(http, "alice", "wrong")
    data = run_json(capsys, "users", "show", "alice")
    assert data["lock_known"] is True and data["locked_until"].endswith("Z")
    assert data["second_factor"]["kind"] == "totp"
    assert data["second_factor"]["recovery_codes_left"] == 10
    assert data["password"] == "set" and data["password_expires_at"].endswith("Z")
    assert data["password_expired"] is False and data["created_at"].endswith("Z")
    code, out, _ = run(capsys, "users", "show", "alice")
    assert code == 0
    assert re.search(r"^locked +until \d{4}-\d\d-\d\d \d\d:\d\d UTC", out, re.MULTILINE)
    assert re.search(r"^two_step +authenticator app \(TOTP\) since .* UTC, 10 recovery",
                     out, re.MULTILINE)
    assert re.search(r"^password +expires \d{4}-\d\d-\d\d \d\d:\d\d UTC$", out, re.MULTILINE)
    run(capsys, "users", "unlock", "alice")
    run(capsys, "users", "reset-password", "alice")
    data = run_json(capsys, "users", "show", "alice")
    assert data["locked_until"] is None and data["password_expired"] is True


def test_users_show_escapes_what_could_drive_the_terminal(capsys, factories, rt) -> None:  # type: ignore[no-untyped-def]
    from idp.storage.models import Account

    factories.account("alice")
    with rt.db.transaction() as s:  # as a value written by an older version could be
        account = s.scalars(select(Account).where(Account.username == "alice")).one()
        account.given_name = "Al\x1b]0;owned\x07ice\u202e\x9b"
    code, out, _ = run(capsys, "users", "show", "alice")
    assert code == 0 and "\x1b" not in out and "\u202e" not in out and "\x9b" not in out
    assert "Al\\x1b]0;owned\\x07ice\\u202e\\x9b" in out
    code, out, _ = run(capsys, "--json", "users", "show", "alice")
    assert "\x1b" not in out and "\u202e" not in out and "\x9b" not in out
    assert json.loads(out)["given_name"] == "Al\x1b]0;owned\x07ice\u202e\x9b"


@pytest.mark.parametrize("command", ["show", "enable", "disable"])
@pytest.mark.parametrize("username", ["nobody", "nul\x00name", "x" * 100_000, "\x1b[31m",
                                      "bad\udcffbyte"])
def test_unknown_or_hostile_usernames_are_one_line(capsys, rt, command, username) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "users", command, username)
    assert code == 1 and out == "" and err.startswith("error: no user")
    assert "\x1b" not in err and "\x00" not in err and err.count("\n") == 1
    assert len(err) < 300


# audit list ---------------------------------------------------------------------------------


def test_audit_list_filters_newest_first(capsys, factories, rt, http, clock) -> None:  # type: ignore[no-untyped-def]
    factories.account("alice")
    factories.account("bob")
    login(http, "alice", "wrong")
    login(http, "bob", PASSWORD)
    rt.audit.flush()  # the login events are buffered (idp/audit.py); the CLI reads the table
    run(capsys, "users", "disable", "alice")
    run(capsys, "users", "enable", "alice")
    every = run_json(capsys, "audit", "list")
    assert [e["at"] for e in every] == sorted((e["at"] for e in every), reverse=True)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["at"]) for e in every)
    alice = run_json(capsys, "audit", "list", "--account", "ALICE")
    assert {e["account"] for e in alice} == {"alice"}
    assert [e["event"] for e in alice][:2] == ["account.enabled_by_operator",
                                               "account.disabled_by_operator"]
    accounts = run_json(capsys, "audit", "list", "--event", "account.*")
    assert {e["event"] for e in accounts} == {"account.enabled_by_operator",
                                              "account.disabled_by_operator"}
    both = run_json(capsys, "audit", "list", "--event", "account.enabled_by_operator",
                    "--event", "login.*")
    assert "account.disabled_by_operator" not in {e["event"] for e in both}
    assert any(e["event"].startswith("login.") for e in both)
    assert len(run_json(capsys, "audit", "list", "--limit", "1")) == 1
    assert run_json(capsys, "audit", "list", "--until", "2001-01-01") == []
    assert len(run_json(capsys, "audit", "list", "--since", "1h")) == len(every)
    assert run(capsys, "audit", "list", "--client", "ghost") == (0, "no events\n", "")


def test_audit_list_takes_underscores_literally_in_prefixes(capsys, rt) -> None:  # type: ignore[no-untyped-def]
    with rt.db.transaction() as s:
        rt.audit.write(s, "a_b.one")
        rt.audit.write(s, "axb.two")
    assert [e["event"] for e in run_json(capsys, "audit", "list", "--event", "a_b*")] == [
        "a_b.one"]


def test_audit_list_prints_stored_values_safely(capsys, rt) -> None:  # type: ignore[no-untyped-def]
    with rt.db.transaction() as s:
        rt.audit.write(s, "login.failed", client_id="c\x1b[2J", ip="1.2.3.4",
                       reason="\x1b]0;owned\x07\u202e")
    code, out, _ = run(capsys, "audit", "list")
    assert code == 0 and "login.failed" in out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out


@pytest.mark.parametrize(("args", "says"), [
    (["--account", "nobody"], "no user 'nobody'"),
    (["--account", "x" * 100_000], "no user"),
    (["--event", "login.failed; DROP TABLE"], "--event"),
    (["--event", "\x1b[2J"], "--event"),
    (["--since", "yesterday"], "--since"),
    (["--until", "2026-13-45"], "--until"),
    (["--since", "1d", "--until", "2001-01-01"], "after --until"),
    (["--limit", "0"], "--limit is 1 to"),
    (["--client", "c" * 300], "--client"),
    (["--client", "nul\x00id"], "--client"),
    (["--account", "nul\x00name"], "no user"),
])
def test_audit_list_refusals_are_one_line(capsys, rt, args, says) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "audit", "list", *args)
    assert code == 1 and out == "" and says in err and err.count("\n") == 1
    assert "\x1b" not in err and len(err) < 400
