"""Issue 10, findings 4 and 5: the forgotten-password request cannot flood a phone (sends
limited per identifier, per number and per address, with the same answer when limited), and
what the database keeps of it gives no code back (keyed hashes, sealed session token, SMS
text removed from the outbox once sent)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from idp.housekeeping import purge_expired
from idp.oidc.keys import HASH_KEY
from idp.storage.models import BrowserSession, OutboxMessage, RecoveryChallenge
from tests.conftest import ISSUER
from tests.mail import code_of, sms
from tests.oidc_helpers import csrf_token

MOBILE = "+33612345678"
CSRF_FIELD = re.compile(r'name="csrf_token" value="[^"]+"')


@pytest.fixture
def settings(settings, tmp_path):  # type: ignore[no-untyped-def]
    return settings.replace(sms_sink_file=str(tmp_path / "sms.jsonl"), outbox_interval=3600.0,
                            recovery_max_sends_per_account=3, recovery_max_sends_per_phone=4,
                            recovery_max_sends_per_address=6, recovery_send_window=3600)


def ask(http, username: str) -> str:  # type: ignore[no-untyped-def]
    """Ask for a code; the code page as shown, without its CSRF token (to compare answers)."""
    page = http.get("/mot-de-passe-oublie")
    response = http.post("/mot-de-passe-oublie", data={
        "csrf_token": csrf_token(page.text), "username": username}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/mot-de-passe-oublie/code"
    shown = http.get("/mot-de-passe-oublie/code")
    assert shown.status_code == 200
    return CSRF_FIELD.sub("", shown.text)


def resend(http) -> str:  # type: ignore[no-untyped-def]
    page = http.get("/mot-de-passe-oublie/code")
    response = http.post("/mot-de-passe-oublie/code", data={
        "csrf_token": csrf_token(page.text), "action": "resend"})
    assert response.status_code == 200
    return CSRF_FIELD.sub("", response.text)


def browser(app, address: str) -> TestClient:  # type: ignore[no-untyped-def]
    """A browser at `address` (the app's lifespan is left to the `http` fixture)."""
    return TestClient(app, base_url=ISSUER, client=(address, 40000))


# -- Finding 4: no flooding -------------------------------------------------------------------

def test_finding4_recovery_sms_flood_is_limited_per_identifier(app, http, factories, rt, clock):  # type: ignore[no-untyped-def]
    factories.account("alice", phone=MOBILE)
    factories.account("bob", phone="+33698765432")
    first = browser(app, "192.0.2.1")
    second = browser(app, "192.0.2.2")
    answers = {ask(first if i % 2 else second, "alice") for i in range(6)}
    assert len(answers) == 1  # the limited requests are answered like the others
    assert [m["to"] for m in sms(rt)] == [MOBILE] * 3
    ask(first, "ALICE ")  # the identifier as typed differently is the same identifier
    assert len(sms(rt)) == 3
    ask(first, "bob")  # another identifier is not held back
    assert [m["to"] for m in sms(rt)][-1] == "+33698765432"
    clock.advance(3601)
    ask(second, "alice")
    assert len(sms(rt)) == 5


def test_finding4_recovery_sms_flood_is_limited_per_phone(app, http, factories, rt, clock):  # type: ignore[no-untyped-def]
    # Two accounts sharing one mobile (a family): the number is protected, not each account.
    factories.account("alice", phone=MOBILE)
    factories.account("albert", phone=MOBILE)
    first = browser(app, "192.0.2.1")
    second = browser(app, "192.0.2.2")
    ask(first, "alice")
    ask(second, "albert")
    ask(first, "albert")
    assert len(sms(rt)) == 3
    unchanged = resend(second)  # resends count for the number too
    assert len(sms(rt)) == 4
    assert resend(first) == unchanged  # limited: the same answer, nothing sent
    ask(second, "alice")
    assert [m["to"] for m in sms(rt)] == [MOBILE] * 4
    clock.advance(3601)
    ask(first, "alice")
    assert len(sms(rt)) == 5


def test_finding4_recovery_sms_flood_is_limited_per_address(app, http, factories, rt):  # type: ignore[no-untyped-def]
    for n in range(8):
        factories.account(f"user-{n}", phone=f"+3361234560{n}")
    attacker = browser(app, "198.51.100.7")
    other = browser(app, "192.0.2.9")
    answers = {ask(attacker, f"user-{n}") for n in range(8)}
    assert len(answers) == 1
    assert len(sms(rt)) == 6
    ask(other, "user-7")  # another address is not held back
    assert [m["to"] for m in sms(rt)][-1] == "+33612345607"


def test_unknown_identifiers_count_against_the_address_too(app, http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("alice", phone=MOBILE)
    attacker = browser(app, "198.51.100.7")
    for n in range(6):
        ask(attacker, f"nobody-{n}")
    ask(attacker, "alice")
    assert sms(rt) == []


# -- Finding 5: nothing readable in the database ----------------------------------------------

def test_finding5_sms_code_is_redacted_from_the_outbox_once_sent(http, factories, rt, clock):  # type: ignore[no-untyped-def]
    factories.account("alice", phone=MOBILE)
    ask(http, "alice")
    with rt.db.read() as s:
        [pending] = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms"))
        assert pending.sent_at is None and re.search(r"\d{6}", pending.body)  # until sent
    [message] = sms(rt)
    code = code_of(message)
    with rt.db.read() as s:
        rows = list(s.scalars(select(OutboxMessage)))
    assert rows and all(row.sent_at is not None for row in rows)
    assert all(row.body == "" and code not in row.subject for row in rows)
    assert [row.recipient for row in rows if row.channel == "sms"] == [MOBILE]
    clock.advance(rt.settings.outbox_keep_seconds + 1)
    purge_expired(rt.db, clock.now())
    with rt.db.read() as s:
        assert list(s.scalars(select(OutboxMessage))) == []


def test_an_unsent_message_keeps_its_text_until_delivered(http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("alice", phone=MOBILE)
    ask(http, "alice")
    Path(rt.settings.sms_sink_file).mkdir()  # the gateway refuses: delivery fails
    assert rt.outbox.deliver_due() == 0
    with rt.db.read() as s:
        [pending] = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms"))
        assert pending.sent_at is None and re.search(r"\d{6}", pending.body)


def test_finding5_recovery_code_not_recoverable_from_the_database(http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("alice", phone=MOBILE)
    ask(http, "alice")
    code = code_of(sms(rt)[0])
    with rt.db.read() as s:
        [challenge] = s.scalars(select(RecoveryChallenge))
        [session] = s.scalars(select(BrowserSession))
    # What the database holds of the challenge: the id hash, the code hash, the session
    # data. No digest of any of them with any 6-digit code gives the stored code hash (the
    # attack of the issue: SHA-256(token:code) over 10^6 codes).
    candidates = [challenge.id_hash, *[v for v in session.data.values() if isinstance(v, str)]]
    for known in candidates:
        prefix = f"{known}:".encode()
        assert not any(hashlib.sha256(prefix + b"%06d" % n).hexdigest() == challenge.code_hash
                       for n in range(1_000_000))
    # Only the server's hash key checks it, and that key stays in the keys folder, 0600.
    assert rt.keys.keyed_hash("recovery-code", f"{challenge.id_hash}:{code}") == \
        challenge.code_hash
    key_file = Path(rt.settings.keys_dir) / HASH_KEY
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600 and len(key_file.read_bytes()) == 32


def test_finding5_recovery_token_not_in_session_data(http, factories, rt):  # type: ignore[no-untyped-def]
    factories.account("alice", phone=MOBILE)
    ask(http, "alice")
    with rt.db.read() as s:
        [challenge] = s.scalars(select(RecoveryChallenge))
        [session] = s.scalars(select(BrowserSession))
    values = [v for v in session.data.values() if isinstance(v, str)]
    # The token is the challenge id's preimage: no value of the session is that token...
    assert all(hashlib.sha256(v.encode()).hexdigest() != challenge.id_hash for v in values)
    # ...it is there only sealed with the keys folder's secret box.
    sealed = session.data["recovery"]
    token = rt.keys.secret_box.decrypt(sealed.encode()).decode()
    assert hashlib.sha256(token.encode()).hexdigest() == challenge.id_hash
    assert token not in json.dumps(session.data)


def test_a_session_with_a_clear_token_from_before_is_sent_back_to_the_start(http, factories,  # type: ignore[no-untyped-def]
                                                                              rt):
    factories.account("alice", phone=MOBILE)
    ask(http, "alice")
    with rt.db.transaction() as s:
        [session] = s.scalars(select(BrowserSession))
        session.data = {**session.data, "recovery": "a-clear-token-of-the-old-format"}
    response = http.get("/mot-de-passe-oublie/code", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/mot-de-passe-oublie"


def test_expired_challenges_are_purged(http, factories, rt, clock):  # type: ignore[no-untyped-def]
    factories.account("alice", phone=MOBILE)
    ask(http, "alice")
    ask(http, "nobody")
    clock.advance(601)
    purge_expired(rt.db, clock.now())
    with rt.db.read() as s:
        assert list(s.scalars(select(RecoveryChallenge))) == []
