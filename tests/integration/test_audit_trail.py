"""The audit trail cannot be switched off or flooded from outside (issue 10, finding 1);
account and token changes are audited in their own transaction (findings 1 and 8); typed
identifiers never stored in clear (finding 5). Real SQLite or PostgreSQL."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text
from starlette.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from idp.accounts import second_factor, throttling
from idp.audit import AuditLog
from idp.audit_values import CLIENT_ID_MAX, IP_MAX
from idp.portal.contact import confirm_code, send_code
from idp.portal.password_change import Notification, change_password
from idp.storage.models import AuditEvent, LoginThrottle
from idp.storage.repositories import accounts as accounts_repo
from sitekit.storage.database import Database
from tests.conftest import ISSUER
from tests.factories import PASSWORD
from tests.integration.flows import exchange, sign_in, tokens_for
from tests.oidc_helpers import auth_request, full_login, login
from tests.servers import free_port

NOTIFICATION = Notification("subject", "body")


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    # No background flush: an event found in the database without `flush()` was written by
    # the transaction of the change it records.
    return settings.replace(audit_flush_interval=0.0)


def events(rt, name: str | None = None) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with rt.db.read() as s:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if name:
            query = query.where(AuditEvent.event == name)
        return list(s.scalars(query))


def account_id(rt, username: str) -> int:  # type: ignore[no-untyped-def]
    with rt.db.read() as s:
        return accounts_repo.find_by_username(s, username).id  # type: ignore[union-attr]


# Finding 1: no input stops or floods the trail ---------------------------------------------

def test_finding1_oversized_client_id_does_not_stop_the_audit_trail(app, factories, rt):  # type: ignore[no-untyped-def]
    client = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                              scope="invoices")
    # Behind a trusted proxy (uvicorn's own middleware), the address is X-Forwarded-For's.
    behind_proxy = ProxyHeadersMiddleware(app, trusted_hosts="*")
    with TestClient(behind_proxy, base_url=ISSUER) as http:
        long_id = "x" * 300
        refused = http.post("/token", data={"grant_type": "client_credentials",
                                            "client_id": long_id, "client_secret": "y"})
        assert refused.status_code in (400, 401), refused.text
        http.post("/token", data={"grant_type": "client_credentials",
                                  "client_id": "bad\x00id", "client_secret": "y"})
        long_address = "2001:db8:" + "a" * 100
        http.post("/token", data={"grant_type": "client_credentials"},
                  auth=(client.client_id, "wrong"), headers={"X-Forwarded-For": long_address})
        rt.audit.flush()
        issued = http.post("/token", data={"grant_type": "client_credentials"},
                           auth=(client.client_id, client.secret))
        assert issued.status_code == 200
        rt.audit.flush()
    refusals = events(rt, "token.refused")
    issued_events = events(rt, "token.issued")
    assert [e.client_id for e in issued_events] == [client.client_id]
    by_id = {e.client_id: e for e in refusals}
    assert by_id[long_id[:CLIENT_ID_MAX - 1] + "…"]
    assert any(e.ip == long_address[:IP_MAX - 1] + "…" for e in refusals)
    assert all("\x00" not in (e.client_id or "") for e in refusals)
    stats = rt.audit.stats()
    assert stats.unwritable == 0 and stats.pending == 0 and not stats.database_out


def test_audit_values_are_bounded_and_cleaned_before_they_are_recorded(rt):  # type: ignore[no-untyped-def]
    rt.audit.record(
        "e" * 100, account_id=2**70, client_id="né\x00\x1b[31m\u202e\ud800" + "z" * 400,
        ip="\x00" * 80, typed="mot-de-passe\x00" * 100, nested={"deep": {"deeper": {"x": 1}}},
        many={str(i): i for i in range(50)}, number=float("nan"), big=10**30,
        items=list(range(100)), obj=object(),
    )
    rt.audit.record("login.success", account_id=1, amr="pwd")
    rt.audit.flush()
    odd, normal = events(rt)
    assert normal.event == "login.success"
    assert len(odd.event) == 64 and odd.account_id is None
    assert odd.client_id.startswith("né\ufffd\ufffd[31m\ufffd\ufffdzzz")  # type: ignore[union-attr]
    assert len(odd.client_id) == CLIENT_ID_MAX and len(odd.ip) == IP_MAX  # type: ignore[arg-type]
    assert "\x00" not in odd.ip  # type: ignore[operator]
    assert len(odd.detail["typed"]) == 200 and "\x00" not in odd.detail["typed"]
    assert odd.detail["many"]["truncated"] is True and len(odd.detail["many"]) == 17
    assert odd.detail["number"] == "nan" and odd.detail["big"] == str(10**30)
    assert len(odd.detail["items"]) == 16 and odd.detail["nested"]["deep"]["deeper"].startswith(
        "{")


def test_audit_batch_with_one_unwritable_event_writes_the_others(rt, caplog):  # type: ignore[no-untyped-def]
    for i in range(20):
        rt.audit.record("login.success", account_id=i)
    # An event that passed the cleaning and that the database still refuses (here: a detail
    # that is not JSON), in the middle of the batch.
    rt.audit._pending.insert(10, {"at": 0, "event": "odd", "account_id": None,
                                  "client_id": None, "ip": None, "detail": {"x": object()}})
    caplog.set_level(logging.DEBUG)
    rt.audit.flush()
    rt.audit.flush()
    rt.audit.record("logout", account_id=99)
    rt.audit.flush()
    written = events(rt)
    assert [e.account_id for e in written] == [*range(20), 99]
    stats = rt.audit.stats()
    assert stats.unwritable == 1 and stats.pending == 0 and stats.written == 21
    audit_logs = [r for r in caplog.records if r.name == "idp.audit"]
    assert len(audit_logs) == 1 and audit_logs[0].exc_info is None
    assert "'odd' event could not be written" in audit_logs[0].getMessage()


def test_audit_buffer_is_bounded_and_counts_drops(rt, caplog):  # type: ignore[no-untyped-def]
    audit = AuditLog(rt.db, rt.clock, flush_interval=0, buffer_max=5)
    for i in range(8):
        audit.record("token.issued", account_id=i)
    assert audit.stats().pending == 5 and audit.stats().dropped_buffer_full == 3
    audit.flush()
    assert [e.account_id for e in events(rt)] == [0, 1, 2, 3, 4]
    caplog.set_level(logging.INFO, logger="idp.audit")
    audit.stop()
    [report] = [r for r in caplog.records if r.name == "idp.audit"]
    assert "3 events dropped (buffer full)" in report.getMessage()


def test_audit_events_wait_bounded_while_the_database_is_out(rt, caplog):  # type: ignore[no-untyped-def]
    out = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none")
    audit = AuditLog(out, rt.clock, flush_interval=0, buffer_max=5)
    caplog.set_level(logging.INFO, logger="idp.audit")
    for i in range(3):
        audit.record("token.issued", account_id=i)
    for _ in range(3):
        audit.flush()  # kept for later each time, logged once
    for i in range(3, 7):
        audit.record("token.issued", account_id=i)
    stats = audit.stats()
    assert stats.database_out and stats.pending == 5 and stats.dropped_buffer_full == 2
    assert stats.unwritable == 0
    warnings = [r for r in caplog.records if r.name == "idp.audit"]
    assert len(warnings) == 1 and warnings[0].exc_info is None
    assert "database unavailable" in warnings[0].getMessage()
    out.dispose()


# Findings 1 and 8: account and token changes audited in the change's transaction ------------

def test_password_change_event_is_written_in_the_same_transaction(rt, factories):  # type: ignore[no-untyped-def]
    factories.account("alice")
    alice = account_id(rt, "alice")
    errors = change_password(rt, alice, PASSWORD, "Nouveau-2027!", "Nouveau-2027!",
                             NOTIFICATION, "192.0.2.7")
    assert errors == []
    # Written with the change, not buffered (no flush happened).
    [event] = events(rt, "password.changed")
    assert event.account_id == alice and event.ip == "192.0.2.7"
    assert rt.audit.stats().pending == 0


def test_an_audited_change_that_rolls_back_leaves_no_event(rt, factories):  # type: ignore[no-untyped-def]
    factories.account("alice")
    alice = account_id(rt, "alice")
    with pytest.raises(RuntimeError), rt.db.transaction() as s:
        accounts_repo.set_email(s, alice, "new@example.test")
        rt.audit.write(s, "contact.email_changed", account_id=alice)
        raise RuntimeError("the change fails after the event was written")
    assert events(rt) == []


def test_second_factor_changes_are_written_in_the_same_transaction(rt, factories):  # type: ignore[no-untyped-def]
    account = factories.account("alice")
    factories.authenticator(account)
    alice = account_id(rt, "alice")
    second_factor.remove(rt.db, rt.audit, alice, "second_factor.removed", "192.0.2.8")
    assert [(e.event, e.account_id) for e in events(rt)] == [
        ("second_factor.enabled", alice), ("second_factor.removed", alice)]


def test_contact_change_event_is_written_in_the_same_transaction(rt, factories):  # type: ignore[no-untyped-def]
    factories.account("alice")
    with rt.db.read() as s:
        account = accounts_repo.find_by_username(s, "alice")
    state = send_code(rt.db, rt.clock, rt.keys, "email", "nouvelle@example.test", "subject",
                      "code {code}")
    with rt.db.read() as s:
        body = s.execute(text("SELECT body FROM outbox ORDER BY id DESC")).scalars().first()
    code = body.split()[-1]
    assert confirm_code(rt.db, rt.clock, rt.keys, rt.audit, account, state, code, NOTIFICATION)
    [event] = events(rt, "contact.email_changed")
    assert event.account_id == account.id


def test_token_revocations_and_replays_are_written_in_the_same_transaction(http, factories, rt):  # type: ignore[no-untyped-def]
    client = factories.client()
    first = sign_in(http, factories, client)
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    assert http.post("/token", data=refresh, auth=(client.client_id, client.secret)).is_success
    replay = http.post("/token", data=refresh, auth=(client.client_id, client.secret))
    assert replay.json()["error"] == "invalid_grant"
    req = auth_request(client.client_id, client.redirect_uri)
    code = full_login(http, req, "alice")["code"]
    assert exchange(http, client, code, req.verifier).is_success
    assert exchange(http, client, code, req.verifier).json()["error"] == "invalid_grant"
    second = tokens_for(http, client, "alice")
    http.post("/revoke", data={"token": second["refresh_token"]},
              auth=(client.client_id, client.secret))
    # No flush: only the events written with their change are there.
    assert {e.event for e in events(rt)} == {"consent.given", "refresh_token.replayed",
                                             "code.replayed", "token.revoked"}
    assert rt.audit.stats().pending > 0  # logins, token issues: buffered


# Finding 5: typed identifiers never stored in clear ------------------------------------------

def test_finding5_failed_login_identifier_is_not_stored_in_clear(http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("alice")
    typed = "Mon-Mot-De-Passe-Secret-2026!"  # a password typed in the identifier field
    for _ in range(rt.settings.login_max_failures + 1):
        login(http, typed, "anything")
    rt.audit.flush()
    with rt.db.read() as s:
        keys = list(s.scalars(select(LoginThrottle.key)))
        dumped = [str((e.event, e.client_id, e.ip, e.detail)) for e in s.scalars(
            select(AuditEvent))]
    stored = " ".join(keys + dumped).lower()
    assert typed.lower() not in stored and "mot-de-passe-secret" not in stored
    digest = throttling.identifier_digest(rt.keys.identifier_key, typed)
    assert f"account:{digest}" in keys
    failures = events(rt, "login.failure")
    assert failures and {e.detail["identifier_hmac"] for e in failures} == {digest}
    assert events(rt, "login.locked")[0].detail["identifier_hmac"] == digest


def test_identifier_key_is_derived_from_the_hash_key_and_not_stored(rt):  # type: ignore[no-untyped-def]
    from pathlib import Path

    key = rt.keys.identifier_key
    assert len(key) == 32
    stored = [p.read_bytes() for p in Path(rt.settings.keys_dir).iterdir() if p.is_file()]
    assert not any(key in content for content in stored)
    assert throttling.identifier_digest(key, " Alice ") == throttling.identifier_digest(
        key, "alice")
    assert throttling.identifier_digest(b"another key", "alice") != (
        throttling.identifier_digest(key, "alice"))


def test_a_lock_still_holds_with_hashed_throttle_keys(http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("alice")
    for _ in range(rt.settings.login_max_failures):
        login(http, "alice", "wrong")
    assert login(http, "Alice ", PASSWORD).status_code == 429


def test_operator_actions_are_written_in_the_same_transaction(http, factories, rt,  # type: ignore[no-untyped-def]
                                                              monkeypatch, capsys):
    from idp.cli import main

    factories.authenticator(factories.account("alice"))
    alice = account_id(rt, "alice")
    for _ in range(rt.settings.login_max_failures):
        login(http, "alice", "wrong")
    monkeypatch.setenv("IDP_DATABASE_URL", rt.settings.database_url)
    monkeypatch.setenv("IDP_KEYS_DIR", rt.settings.keys_dir)
    for command in ("unlock", "remove-second-factor", "reset-password", "disable"):
        assert main(["users", command, "alice"]) == 0
    capsys.readouterr()
    operator_events = [(e.event, e.account_id) for e in events(rt)
                       if e.event != "second_factor.enabled"]
    assert operator_events == [
        ("account.unlocked_by_operator", alice), ("second_factor.removed_by_operator", alice),
        ("password.reset_by_operator", alice), ("account.disabled_by_operator", alice)]
    assert events(rt, "account.unlocked_by_operator")[0].detail["was_locked"] is True
