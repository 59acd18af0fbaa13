"""The audit writer's cost on requests (issue 16, items 3 and 6): the buffered events go to
the database in few exchanges per batch (SQLite: INSERTs of many rows each; PostgreSQL:
COPY), and the writer is woken by the number waiting rather than left to gather a whole
interval's events.
Nothing of the trail's guarantees is traded: what is written reads back unchanged, a refused
row is set aside alone, the chain still verifies. Real SQLite or PostgreSQL."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import event, select

from idp.audit import FLUSH_AT, AuditLog
from idp.audit_chain import existing_chain_key
from idp.audit_checkpoints import checkpoint_verifier
from idp.audit_verify import verify
from idp.storage.models import AuditEvent
from idp.storage.repositories import audit as audit_repo

# What COPY's text format and SQL quoting must carry through untouched: its own separators
# (tab, newline), escapes (backslash, `\N` for NULL, `\.` the old end marker), quotes, SQL
# and format placeholders, non-ASCII and characters outside the BMP.
HOSTILE = ["a\tb", "line\nnext\r\n", "back\\slash", "\\N", "\\.", "'; DROP TABLE x; --",
           '"quoted"', "?", "%s", "%(x)s", "é ß 中文", "🙂 \U0001f600", "", " "]


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return settings.replace(audit_flush_interval=0.0)


def stored(rt) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with rt.db.read() as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_hostile_values_are_written_and_read_back_unchanged(rt) -> None:  # type: ignore[no-untyped-def]
    # Straight to the repository: the cleaning before it (audit_values.py) would take out the
    # control characters; the writer itself must not depend on that.
    rows = [{"at": 1_700_000_000 + i, "event": f"e{i}", "account_id": i or None,
             "client_id": value, "ip": value[:64] or None, "fi": value,
             "detail": {"value": value, value: [value, None, 1.5]}}
            for i, value in enumerate(HOSTILE)]
    with rt.db.transaction() as s:
        audit_repo.write_events(s, rows)
    got = stored(rt)
    assert [(e.at, e.event, e.account_id, e.client_id, e.ip, e.fi, e.detail) for e in got] == [
        (r["at"], r["event"], r["account_id"], r["client_id"], r["ip"], r["fi"],
         json.loads(json.dumps(r["detail"]))) for r in rows]


def test_the_writer_chains_hostile_values_and_the_trail_verifies(rt) -> None:  # type: ignore[no-untyped-def]
    rt.audit.checkpoint_interval = 0.0
    for value in HOSTILE:
        rt.audit.record("login.succeeded", client_id=value, typed=value)
    rt.audit.flush()
    assert len(stored(rt)) == len(HOSTILE)
    key = existing_chain_key(rt.settings.keys_dir)
    assert key is not None
    report = verify(rt.db, key, checkpoint_verifier(rt.settings.keys_dir), rt.clock.now() + 600,
                    30 * 86400)
    assert report.problems == [] and report.events == len(HOSTILE) and report.checkpoints == 1


def test_a_row_the_database_refuses_is_set_aside_alone(rt) -> None:  # type: ignore[no-untyped-def]
    for i in range(300):
        rt.audit.record("token.issued", account_id=i)
    # Past the cleaning, a row both databases refuse (the event is NOT NULL), mid-batch: the
    # whole COPY or executemany fails, and the writer halves the batch down to it.
    rt.audit._pending.insert(150, {"at": 0, "event": None, "account_id": None, "client_id": None,
                                   "ip": None, "detail": {}})
    rt.audit.flush()
    assert [e.account_id for e in stored(rt)] == list(range(300))
    stats = rt.audit.stats()
    assert stats.unwritable == 1 and stats.pending == 0 and stats.written == 300


def test_the_writer_is_woken_once_enough_events_wait(rt) -> None:  # type: ignore[no-untyped-def]
    # An interval far longer than the test: only the number waiting can start a write.
    audit = AuditLog(rt.db, rt.clock, flush_interval=3600.0)
    audit.start()
    try:
        for i in range(FLUSH_AT - 1):
            audit.record("token.issued", account_id=i)
        time.sleep(0.5)
        assert stored(rt) == [] and audit.stats().pending == FLUSH_AT - 1
        audit.record("token.issued", account_id=FLUSH_AT - 1)
        deadline = time.monotonic() + 10
        while len(stored(rt)) < FLUSH_AT and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [e.account_id for e in stored(rt)] == list(range(FLUSH_AT))
    finally:
        audit.stop()


def test_many_events_take_few_statements_and_keep_their_order(rt) -> None:  # type: ignore[no-untyped-def]
    # 2 full SQLite statements and a remainder: every row with its own values, in order. On
    # SQLite a statement per row handed the GIL back and forth once per event (issue 16).
    rows = [{"at": 1_700_000_000 + i, "event": "token.issued", "account_id": i,
             "client_id": f"c{i}", "ip": None, "fi": None, "detail": {"n": i}}
            for i in range(2 * 90 + 7)]
    steps: list[int] = []  # statements run, an executemany counting one per row

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "audit_events" in statement:
            steps.append(len(parameters) if executemany else 1)

    event.listen(rt.db.engine, "before_cursor_execute", count)
    try:
        with rt.db.transaction() as s:
            audit_repo.write_events(s, rows)
    finally:
        event.remove(rt.db.engine, "before_cursor_execute", count)
    assert [(e.account_id, e.client_id, e.detail) for e in stored(rt)] == [
        (i, f"c{i}", {"n": i}) for i in range(len(rows))]
    if rt.db.is_sqlite:  # PostgreSQL's COPY goes around SQLAlchemy's cursor events
        assert sum(steps) <= 3
