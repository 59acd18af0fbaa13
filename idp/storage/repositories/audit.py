from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, event, func, insert, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from idp.storage.models import AuditCheckpoint, AuditEvent
from sitekit.storage.database import rowcount

_EVENTS = cast(Table, AuditEvent.__table__)
_CHECKPOINTS = cast(Table, AuditCheckpoint.__table__)
# Every column the writer gives (a row without the chain columns leaves them NULL).
_COLUMNS = ("at", "event", "account_id", "client_id", "ip", "fi", "detail", "stream", "seq",
            "prev", "chain")
# The row key under which a row may carry its detail already encoded as JSON text (the audit
# chain encodes it once, for its hash and for this column).
DETAIL_JSON = "detail_json"


# How the writer sends rows, without compilation or bind processing per row: the detail is
# JSON text already (DETAIL_JSON, from the chain, else encoded here as SQLAlchemy's JSON type
# would). Columns in _COLUMNS' order (issue 16: the ORM's bulk path, then Core's per-row
# parameter processing, then psycopg's executemany — one Bind/Execute per row, built in
# Python: 7 µs of the writer's CPU per event — competed with requests for the GIL).
# - SQLite: INSERTs of up to _SQLITE_ROWS rows each. sqlite3 releases the GIL around every
#   statement it steps, and the event loop's thread must then hand it back: with executemany
#   (a step per row) that was one hand-over per event, ~8 µs of the worker's CPU per event
#   spent on both threads. 90 rows bind 990 parameters, under SQLite's lowest limit (999).
# - PostgreSQL: COPY FROM STDIN (psycopg formats the rows in C), ~1.5 µs per event. All or
#   nothing like a statement: a refused row fails the whole COPY (the writer then splits).
_SQLITE_ROWS = 90
_SQLITE_INSERT = ("INSERT INTO audit_events (at, event, account_id, client_id, ip, fi, detail, "
                  "stream, seq, prev, chain) VALUES ")
_SQLITE_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_POSTGRESQL_COPY = ("COPY audit_events (at, event, account_id, client_id, ip, fi, detail, "
                    "stream, seq, prev, chain) FROM STDIN")


@functools.lru_cache(maxsize=_SQLITE_ROWS)
def _sqlite_insert(rows: int) -> str:
    """The INSERT of `rows` rows (sqlite3 keeps each text's compiled statement)."""
    return _SQLITE_INSERT + ", ".join([_SQLITE_ROW] * rows)


def _values(e: dict[str, Any]) -> tuple[Any, ...]:
    """One event's values in _COLUMNS' order."""
    return (e.get("at"), e.get("event"), e.get("account_id"), e.get("client_id"), e.get("ip"),
            e.get("fi"), e[DETAIL_JSON] if DETAIL_JSON in e else json.dumps(e.get("detail")),
            e.get("stream"), e.get("seq"), e.get("prev"), e.get("chain"))


def write_events(s: Session, events: list[dict[str, Any]]) -> None:
    """The events in one exchange on the session's connection, in its transaction (above:
    how, per database)."""
    if not events:
        return
    connection = s.connection()
    dialect = (connection.dialect.name, connection.dialect.paramstyle)
    if dialect == ("sqlite", "qmark"):
        for start in range(0, len(events), _SQLITE_ROWS):
            chunk = events[start:start + _SQLITE_ROWS]
            connection.exec_driver_sql(_sqlite_insert(len(chunk)),
                                       tuple(v for e in chunk for v in _values(e)))
    elif dialect == ("postgresql", "pyformat"):
        # psycopg's own connection, in the transaction SQLAlchemy began on it.
        psycopg_connection = connection.connection.driver_connection
        assert psycopg_connection is not None  # a checked-out connection always has one
        with psycopg_connection.cursor() as cursor, cursor.copy(_POSTGRESQL_COPY) as copy:
            for e in events:
                copy.write_row(_values(e))
    else:
        connection.execute(insert(_EVENTS), [{c: e.get(c) for c in _COLUMNS} for e in events])


def write_at_commit(s: Session, row: dict[str, Any],
                    prepare: Callable[[list[dict[str, Any]]], object]) -> None:
    """Write `row` in `s`'s transaction when it commits, after `prepare(rows)` (the chain
    numbers them then: a transaction rolled back leaves no gap in its stream)."""
    pending: list[dict[str, Any]] | None = s.info.get("audit_at_commit")
    if pending is None:
        pending = s.info["audit_at_commit"] = []

        def before_commit(session: Session) -> None:
            rows = session.info.pop("audit_at_commit", [])
            # The transaction's own changes first: a refused one rolls back before numbering.
            session.flush()
            prepare(rows)
            write_events(session, rows)

        event.listen(s, "before_commit", before_commit, once=True)
    pending.append(row)


def write_checkpoint(s: Session, checkpoint: dict[str, Any]) -> None:
    s.connection().execute(insert(_CHECKPOINTS), [checkpoint])


# `idp audit verify` (idp/audit_verify.py): each stream in order, by chunks.

def streams(s: Session) -> list[str]:
    return [v for v in s.scalars(select(AuditEvent.stream).where(
        AuditEvent.stream.is_not(None)).distinct().order_by(AuditEvent.stream)) if v]


def stream_events(s: Session, stream: str, after_seq: int, limit: int) -> list[AuditEvent]:
    return list(s.scalars(select(AuditEvent).where(
        AuditEvent.stream == stream, AuditEvent.seq > after_seq).order_by(
        AuditEvent.seq, AuditEvent.id).limit(limit)))


def event_at(s: Session, stream: str, seq: int) -> AuditEvent | None:
    return s.scalars(select(AuditEvent).where(
        AuditEvent.stream == stream, AuditEvent.seq == seq).order_by(AuditEvent.id)
        .limit(1)).first()


def unchained(s: Session) -> tuple[int, int]:
    """(events without chain columns, how many of them were written after the first chained
    one: those cannot come from the writer)."""
    first = s.scalar(select(func.min(AuditEvent.id)).where(AuditEvent.stream.is_not(None)))
    total = int(s.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.stream.is_(None))) or 0)
    after = 0 if first is None else int(s.scalar(
        select(func.count()).select_from(AuditEvent).where(
            AuditEvent.stream.is_(None), AuditEvent.id > first)) or 0)
    return total, after


def first_unchained_after_chain(s: Session) -> int | None:
    first = s.scalar(select(func.min(AuditEvent.id)).where(AuditEvent.stream.is_not(None)))
    if first is None:
        return None
    found: int | None = s.scalar(select(func.min(AuditEvent.id)).where(
        AuditEvent.stream.is_(None), AuditEvent.id > first))
    return found


def checkpoints(s: Session) -> list[AuditCheckpoint]:
    return list(s.scalars(select(AuditCheckpoint).order_by(
        AuditCheckpoint.stream, AuditCheckpoint.seq, AuditCheckpoint.id)))


def recent_events(s: Session, limit: int = 100, event: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if event:
        query = query.where(AuditEvent.event == event)
    return list(s.scalars(query))


# The person's history (portal/history.py) and authorized applications (portal/applications.py):
# one account's events of the given kinds, by the index (account_id, event, at).

def count_account_events(s: Session, account_id: int, events: Iterable[str], since: int) -> int:
    return int(s.scalar(
        select(func.count()).select_from(AuditEvent).where(
            AuditEvent.account_id == account_id, AuditEvent.event.in_(list(events)),
            AuditEvent.at >= since)) or 0)


def account_events(s: Session, account_id: int, events: Iterable[str], since: int,
                   offset: int, limit: int) -> list[AuditEvent]:
    """Newest first (ties by id, the order they were written)."""
    return list(s.scalars(
        select(AuditEvent).where(
            AuditEvent.account_id == account_id, AuditEvent.event.in_(list(events)),
            AuditEvent.at >= since)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset(offset).limit(limit)))


@dataclass(frozen=True)
class ClientActivity:
    client_id: str
    first_at: int
    last_at: int


def client_activity(s: Session, account_id: int, events: Iterable[str], reset_event: str
                    ) -> list[ClientActivity]:
    """Per client, the first and last of the account's `events` since its last
    `reset_event` for that client (all of them when there was none)."""
    reset = aliased(AuditEvent)
    last_reset = (select(func.max(reset.at)).where(
        reset.account_id == account_id, reset.event == reset_event,
        reset.client_id == AuditEvent.client_id).scalar_subquery())
    rows = s.execute(
        select(AuditEvent.client_id, func.min(AuditEvent.at), func.max(AuditEvent.at))
        .where(AuditEvent.account_id == account_id, AuditEvent.event.in_(list(events)),
               AuditEvent.client_id.is_not(None),
               AuditEvent.at > func.coalesce(last_reset, -1))
        .group_by(AuditEvent.client_id))
    return [ClientActivity(client_id, first, last) for client_id, first, last in rows
            if client_id is not None]


def latest_details(s: Session, account_id: int, client_id: str, events: Iterable[str],
                   since: int, limit: int) -> list[dict[str, Any]]:
    """The `detail` of the account's last `limit` `events` for `client_id` from `since`."""
    return [dict(detail or {}) for detail in s.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.account_id == account_id, AuditEvent.event.in_(list(events)),
            AuditEvent.client_id == client_id, AuditEvent.at >= since)
        .order_by(AuditEvent.at.desc()).limit(limit))]


def purge_older_than(s: Session, before: int, limit: int) -> int:
    """Delete at most `limit` events written before `before`, oldest first (a backlog is
    cleared over several runs, none holding a long lock); how many were deleted.

    The chain (idp/audit_chain.py) stays whole: a stream is only ever cut at its start, so
    the few events of a stream numbered before one deleted here (numbered at commit, their
    `at` can be a second later) go with it; checkpoints older than `before` too."""
    oldest = s.execute(select(AuditEvent.id, AuditEvent.stream, AuditEvent.seq).where(
        AuditEvent.at < before).order_by(AuditEvent.at).limit(limit)).all()
    if not oldest:
        return 0
    options = {"synchronize_session": False}
    deleted = rowcount(s.execute(delete(AuditEvent).where(
        AuditEvent.id.in_([row.id for row in oldest])), execution_options=options))
    cut: dict[str, int] = {}
    for row in oldest:
        if row.stream is not None and row.seq is not None:
            cut[row.stream] = max(cut.get(row.stream, 0), row.seq)
    for stream, seq in cut.items():
        deleted += rowcount(s.execute(delete(AuditEvent).where(
            AuditEvent.stream == stream, AuditEvent.seq < seq), execution_options=options))
    s.execute(delete(AuditCheckpoint).where(AuditCheckpoint.at < before),
              execution_options=options)
    return deleted


# `idp audit list`: the operator's search of the trail, newest first.

def search_events(s: Session, *, account_id: int | None = None,
                  events: Iterable[str] = (), prefixes: Iterable[str] = (),
                  client_id: str | None = None, since: int | None = None,
                  until: int | None = None, limit: int = 50) -> list[AuditEvent]:
    """Events matching every filter given; `events` and `prefixes` together: any of those
    names, or names starting with any of those prefixes (taken literally, `_` included)."""
    query = select(AuditEvent)
    if account_id is not None:
        query = query.where(AuditEvent.account_id == account_id)
    names: list[ColumnElement[bool]] = [AuditEvent.event.in_(list(events))] if events else []
    names += [AuditEvent.event.startswith(prefix, autoescape=True) for prefix in prefixes]
    if names:
        query = query.where(or_(*names))
    if client_id is not None:
        query = query.where(AuditEvent.client_id == client_id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at <= until)
    return list(s.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                          .limit(limit)))
