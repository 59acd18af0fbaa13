"""The audit trail cannot be altered unseen (issue 16, item 6): each event chained to the one
before it in its process's stream, checkpoints signed with the hub's key, and
`idp audit verify` naming the first altered, missing or reordered event after rows are edited,
deleted or swapped directly in the database. Real SQLite or PostgreSQL."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, text

from idp.audit import AuditLog
from idp.audit_chain import Chain, chain_key, existing_chain_key
from idp.audit_checkpoints import Checkpoints, checkpoint_verifier
from idp.audit_verify import Report, verify
from idp.cli import main
from idp.housekeeping import Retention, purge_expired
from idp.oidc.jws import sign_compact
from idp.storage.models import AuditCheckpoint, AuditEvent

KEEP = 30 * 86400


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return settings.replace(audit_flush_interval=0.0)


@pytest.fixture(autouse=True)
def checkpoint_every_flush(rt) -> None:  # type: ignore[no-untyped-def]
    rt.audit.checkpoint_interval = 0.0


def check(rt) -> Report:  # type: ignore[no-untyped-def]
    """verify() as `idp audit verify` runs it, a while after the events (no settling wait)."""
    key = existing_chain_key(rt.settings.keys_dir)
    assert key is not None
    return verify(rt.db, key, checkpoint_verifier(rt.settings.keys_dir), rt.clock.now() + 600,
                  KEEP)


def trail(rt, count: int = 6) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    """`count` events, buffered and written in transactions alternately, then flushed."""
    for n in range(count):
        if n % 2:
            with rt.db.transaction() as s:
                rt.audit.write(s, "password.changed", account_id=n, ip="10.0.0.1")
        else:
            rt.audit.record("login.succeeded", account_id=n, client_id="apa", ip="10.0.0.2",
                            detail_n=n)
            rt.audit.flush()
    rt.audit.flush()
    return rows(rt)


def rows(rt) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with rt.db.read() as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.stream, AuditEvent.seq)))


def sql(rt, statement: str, **params: object) -> None:  # type: ignore[no-untyped-def]
    with rt.db.transaction() as s:
        s.execute(text(statement), params)


def test_an_intact_trail_verifies_with_the_command(rt, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    events = trail(rt)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert len({e.stream for e in events}) == 1
    assert all(e.prev == before.chain for before, e in pairwise(events))
    monkeypatch.setenv("IDP_DATABASE_URL", rt.settings.database_url)
    monkeypatch.setenv("IDP_KEYS_DIR", rt.settings.keys_dir)
    assert main(["--json", "audit", "verify"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["intact"] is True and out["events"] == 6 and out["streams"] == 1
    assert out["checkpoints"] >= 1 and out["problems"] == []

    sql(rt, "UPDATE audit_events SET ip = '10.9.9.9' WHERE id = :id", id=events[2].id)
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"altered: event #{events[2].id} ") and "NOT INTACT" in out


def test_an_edited_field_is_reported_altered_at_that_event(rt) -> None:  # type: ignore[no-untyped-def]
    events = trail(rt)
    sql(rt, "UPDATE audit_events SET account_id = 999 WHERE id = :id", id=events[3].id)
    problems = check(rt).problems
    assert [(p.kind, p.event_id, p.seq) for p in problems] == [
        ("altered", events[3].id, 4)]


def test_an_edited_detail_with_a_recomputed_plain_hash_is_still_altered(rt) -> None:  # type: ignore[no-untyped-def]
    # Without hash.key (kept in the keys folder, never in the database) the chain value of an
    # edited event cannot be recomputed: copying another event's does not help either.
    events = trail(rt)
    sql(rt, "UPDATE audit_events SET detail = :d, chain = :c WHERE id = :id",
        d=json.dumps({"detail_n": 42}), c=events[0].chain, id=events[0].id)
    assert check(rt).problems[0].kind == "altered"


def test_a_deleted_event_is_reported_missing(rt) -> None:  # type: ignore[no-untyped-def]
    events = trail(rt)
    sql(rt, "DELETE FROM audit_events WHERE id = :id", id=events[2].id)
    problem, signed = check(rt).problems  # the event is gone, and with it a signed head
    assert (problem.kind, problem.stream, problem.seq) == ("missing", events[0].stream, 3)
    assert (signed.kind, signed.seq) == ("missing", 3) and "checkpoint" in signed.message


def test_swapped_events_are_reported_reordered(rt) -> None:  # type: ignore[no-untyped-def]
    events = trail(rt)
    first, second = events[1], events[4]
    for row, other in ((first, second), (second, first)):
        sql(rt, "UPDATE audit_events SET at = :at, event = :event, account_id = :account, "
                "client_id = :client, ip = :ip, detail = :detail WHERE id = :id",
            at=other.at, event=other.event, account=other.account_id,
            client=other.client_id, ip=other.ip, detail=json.dumps(other.detail), id=row.id)
    [problem] = check(rt).problems
    assert (problem.kind, problem.event_id, problem.seq) == ("reordered", first.id, 2)
    assert f"seq {second.seq}" in problem.message


def test_swapped_chain_columns_break_the_chain(rt) -> None:  # type: ignore[no-untyped-def]
    # Whole rows exchanged, numbers and chain values included: order is by number, so the
    # trail reads as written; exchanging only the numbers breaks the links.
    events = trail(rt)
    a, b = events[1], events[2]
    sql(rt, "UPDATE audit_events SET seq = :seq WHERE id = :id", seq=-1, id=a.id)
    sql(rt, "UPDATE audit_events SET seq = :seq WHERE id = :id", seq=a.seq, id=b.id)
    sql(rt, "UPDATE audit_events SET seq = :seq WHERE id = :id", seq=b.seq, id=a.id)
    problem = check(rt).problems[0]
    assert problem.kind in ("altered", "reordered") and problem.seq == 2


def test_a_forged_checkpoint_has_an_invalid_signature(rt) -> None:  # type: ignore[no-untyped-def]
    trail(rt)
    with rt.db.read() as s:
        checkpoint = s.scalars(select(AuditCheckpoint)).first()
    assert checkpoint is not None
    forged = sign_compact({"stream": checkpoint.stream, "seq": checkpoint.seq,
                           "chain": "0" * 64, "at": checkpoint.at}, "ES256", checkpoint.kid,
                          "audit-checkpoint+jwt", ec.generate_private_key(ec.SECP256R1()))
    sql(rt, "UPDATE audit_checkpoints SET jws = :jws WHERE id = :id", jws=forged,
        id=checkpoint.id)
    [problem] = check(rt).problems
    assert problem.kind == "checkpoint invalid" and f"#{checkpoint.id}" in problem.message


def test_removing_the_end_of_a_stream_is_seen_from_its_checkpoint(rt) -> None:  # type: ignore[no-untyped-def]
    events = trail(rt)
    with rt.db.read() as s:
        signed = max(c.seq for c in s.scalars(select(AuditCheckpoint)))
    assert signed == 5 and events[-1].seq == 6  # the last is a security change
    sql(rt, "DELETE FROM audit_events WHERE seq >= :seq", seq=signed - 1)
    [problem] = check(rt).problems
    assert problem.kind == "missing" and "removed from the end" in problem.message


def test_an_event_inserted_without_chain_is_reported(rt) -> None:  # type: ignore[no-untyped-def]
    trail(rt)
    sql(rt, "INSERT INTO audit_events (at, event, detail) VALUES (1, 'login.succeeded', '{}')")
    [problem] = check(rt).problems
    assert problem.kind == "inserted"


def test_a_rolled_back_security_change_leaves_no_gap(rt) -> None:  # type: ignore[no-untyped-def]
    trail(rt, 2)
    with pytest.raises(RuntimeError), rt.db.transaction() as s:
        rt.audit.write(s, "password.changed", account_id=1)
        raise RuntimeError("the change failed")
    trail(rt, 2)
    assert [e.seq for e in rows(rt)] == [1, 2, 3, 4]
    assert check(rt).problems == []


def test_several_processes_write_their_own_streams(rt) -> None:  # type: ignore[no-untyped-def]
    # Each process has its own Chain (a stream drawn on its first event): no lock between them.
    key = chain_key(rt.keys.hash_key_bytes())
    others = [AuditLog(rt.db, rt.clock, 0.0, chain=Chain(key), checkpoints=Checkpoints(rt.keys))
              for _ in range(2)]
    for n in range(5):
        for log in (rt.audit, *others):
            log.record("token.issued", client_id=f"c{n}")
            with rt.db.transaction() as s:
                log.write(s, "grant.revoked", account_id=n)
            log.flush()
    events = rows(rt)
    assert len({e.stream for e in events}) == 3 and len(events) == 30
    report = check(rt)
    assert (report.problems, report.streams, report.events) == ([], 3, 30)
    victim = next(e for e in events if e.stream == others[1].chain.stream and e.seq == 7)  # type: ignore[union-attr]
    sql(rt, "DELETE FROM audit_events WHERE id = :id", id=victim.id)
    [problem] = check(rt).problems
    assert (problem.kind, problem.stream, problem.seq) == ("missing", victim.stream, 7)


def test_the_retention_purge_keeps_the_trail_verifiable(rt) -> None:  # type: ignore[no-untyped-def]
    trail(rt)
    rt.clock.advance(KEEP // 2)
    trail(rt)
    rt.clock.advance(KEEP // 2 + 10)
    purge_expired(rt.db, rt.clock.now(), Retention(audit_keep=KEEP))
    events = rows(rt)
    assert [e.seq for e in events] == [7, 8, 9, 10, 11, 12]
    report = check(rt)
    assert report.problems == [] and report.events == 6
    # The oldest remaining event is checked like any other.
    sql(rt, "UPDATE audit_events SET ip = NULL WHERE id = :id", id=events[0].id)
    assert [(p.kind, p.seq) for p in check(rt).problems] == [("altered", 7)]
