"""`idp audit verify`: the audit trail's chain and checkpoints checked from the database
(issue 16, item 6; the chain is described in idp/audit_chain.py).

Each stream is read in order of its numbers, from its oldest remaining event (the retention
purge cuts streams at their start only). For each event: its chain value must be the HMAC of
what it holds (else *altered*, or *reordered* when what it holds is another position's event),
its `prev` the chain value of the event before it, its number the next one (else *missing*).
Each checkpoint's signature must verify with a key kept in the keys folder, and the event it
signed must still be there with that chain value (a stream ending before a checkpoint's
number lost its tail).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from idp.audit_chain import FIELDS, mac
from idp.storage.repositories import audit as audit_repo
from sitekit.storage.database import Database

CHUNK = 5_000
# A gap just behind events this recent may be a transaction still committing: read again once.
SETTLE_SECONDS = 1.5
RECENT = 120
# A checkpoint whose event is gone is the purge's doing when it is this close to the cut.
PURGE_SLACK = 86_400


@dataclass(frozen=True)
class Problem:
    kind: str  # altered, missing, reordered, inserted, checkpoint invalid, checkpoint altered
    stream: str | None
    seq: int | None
    event_id: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "stream": self.stream, "seq": self.seq,
                "event_id": self.event_id, "message": self.message}


@dataclass
class Report:
    streams: int = 0
    events: int = 0
    checkpoints: int = 0
    unchained: int = 0
    problems: list[Problem] = field(default_factory=list)


def _fields(event: Any) -> dict[str, Any]:
    return {name: getattr(event, name) for name in FIELDS}


def verify(db: Database, key: bytes, verify_checkpoint: Callable[[str], dict[str, Any] | None],
           now: int, keep_seconds: int) -> Report:
    """Every stream and checkpoint; at most the first problem of each stream."""
    report = Report()
    heads: dict[str, tuple[int, int]] = {}  # stream -> (first seq, last seq) remaining
    with db.read() as s:
        names = audit_repo.streams(s)
        total, inserted = audit_repo.unchained(s)
        report.unchained = total - inserted
        if inserted:
            first = audit_repo.first_unchained_after_chain(s)
            report.problems.append(Problem(
                "inserted", None, None, first,
                f"event #{first}: not chained but written after the chain began "
                f"({inserted} such events)"))
    for stream in names:
        report.streams += 1
        problem, span, count = _verify_stream(db, key, stream, now)
        report.events += count
        if span is not None:
            heads[stream] = span
        if problem is not None:
            report.problems.append(problem)
    with db.read() as s:
        checkpoints = audit_repo.checkpoints(s)
        for checkpoint in checkpoints:
            report.checkpoints += 1
            if problem := _verify_checkpoint(s, checkpoint, verify_checkpoint, heads, now,
                                              keep_seconds):
                report.problems.append(problem)
    return report


def _verify_stream(db: Database, key: bytes, stream: str, now: int
                   ) -> tuple[Problem | None, tuple[int, int] | None, int]:
    """(first problem, (first seq, last seq), events read) of one stream."""
    first_seq: int | None = None
    last: Any = None
    count = 0
    after = 0
    while True:
        with db.read() as s:
            rows = audit_repo.stream_events(s, stream, after, CHUNK)
        if not rows:
            break
        for row in rows:
            count += 1
            seq = int(row.seq or 0)
            if first_seq is None:
                first_seq = seq
            elif seq == last.seq:
                return (Problem("inserted", stream, seq, row.id,
                                f"event #{row.id}: a second event numbered {seq} in stream "
                                f"{stream}"), (first_seq, seq), count)
            elif seq != last.seq + 1:
                late = _settled(db, stream, last.seq + 1, row, now)
                if late is None:
                    return (Problem("missing", stream, last.seq + 1, None,
                                    f"stream {stream}: events {last.seq + 1} to {seq - 1} "
                                    f"missing (before event #{row.id})"),
                            (first_seq, seq), count)
                # A commit that was in flight: verify from it again.
                after = last.seq
                break
            if row.chain != mac(key, stream, seq, row.prev or "", _fields(row)):
                return (_altered(db, key, stream, row), (first_seq, seq), count)
            if last is not None and row.prev != last.chain:
                return (Problem("altered", stream, seq, row.id,
                                f"event #{row.id} (stream {stream}, seq {seq}): does not "
                                f"follow event #{last.id} (chain broken)"),
                        (first_seq, seq), count)
            last = row
        else:
            after = int(last.seq)
    span = None if first_seq is None or last is None else (first_seq, int(last.seq))
    return None, span, count


def _settled(db: Database, stream: str, seq: int, following: Any, now: int) -> Any:
    """The event numbered `seq`, read again after a moment when what follows is recent."""
    if following.at < now - RECENT:
        return None
    time.sleep(SETTLE_SECONDS)
    with db.read() as s:
        return audit_repo.event_at(s, stream, seq)


def _altered(db: Database, key: bytes, stream: str, row: Any) -> Problem:
    """Altered, or reordered when what the event holds is another position's event."""
    seq = int(row.seq or 0)
    after = seq
    while True:
        with db.read() as s:
            rows = audit_repo.stream_events(s, stream, after, CHUNK)
        if not rows:
            break
        for other in rows:
            if row.chain == mac(key, stream, seq, row.prev or "", _fields(other)):
                return Problem("reordered", stream, seq, row.id,
                               f"event #{row.id} (stream {stream}, seq {seq}) holds what was "
                               f"written at seq {other.seq} (event #{other.id}) and the "
                               f"other way round: events swapped")
        after = int(rows[-1].seq or 0)
    return Problem("altered", stream, seq, row.id,
                   f"event #{row.id} (stream {stream}, seq {seq}, {row.event!r}): its content "
                   f"does not match its chain value")


def _verify_checkpoint(s: Any, checkpoint: Any, verify_checkpoint: Callable[
        [str], dict[str, Any] | None], heads: dict[str, tuple[int, int]], now: int,
        keep_seconds: int) -> Problem | None:
    claims = verify_checkpoint(checkpoint.jws)
    where = f"checkpoint #{checkpoint.id} (stream {checkpoint.stream}, seq {checkpoint.seq})"
    if claims is None:
        return Problem("checkpoint invalid", checkpoint.stream, checkpoint.seq, None,
                       f"{where}: signature invalid (or signed by a key not kept in the keys "
                       "folder)")
    if (claims.get("stream"), claims.get("seq")) != (checkpoint.stream, checkpoint.seq):
        return Problem("checkpoint altered", checkpoint.stream, checkpoint.seq, None,
                       f"{where}: its columns differ from what was signed")
    event = audit_repo.event_at(s, checkpoint.stream, checkpoint.seq)
    if event is not None:
        if event.chain != claims.get("chain"):
            return Problem("altered", checkpoint.stream, checkpoint.seq, event.id,
                           f"event #{event.id}: its chain value is not the one {where} "
                           "signed")
        return None
    span = heads.get(checkpoint.stream)
    if checkpoint.at < now - keep_seconds + PURGE_SLACK and (
            span is None or checkpoint.seq < span[0]):
        return None  # purged with the events it covered
    if span is None or checkpoint.seq > span[1]:
        last = "no event left" if span is None else f"the stream ends at seq {span[1]}"
        return Problem("missing", checkpoint.stream, checkpoint.seq, None,
                       f"{where}: the signed event is gone and {last} (events removed "
                       "from the end)")
    return Problem("missing", checkpoint.stream, checkpoint.seq, None,
                   f"{where}: the signed event is gone")
