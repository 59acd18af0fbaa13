"""Statements handed to the driver as written (sitekit/storage/database.py `execute_sql`): the
same SQL on SQLite and PostgreSQL, in the caller's transaction, errors as SQLAlchemy's."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import devices as devices_repo
from sitekit.storage.database import execute_sql


def _id(rt, factories, username: str) -> int:  # type: ignore[no-untyped-def]
    factories.account(username)
    with rt.db.read() as s:
        return int(accounts_repo.find_by_login(s, username).id)


def _devices(s, account_id: int) -> int:  # type: ignore[no-untyped-def]
    return int(execute_sql(s, "SELECT count(*) FROM known_devices WHERE account_id = ?",
                           (account_id,)).scalar() or 0)


def test_a_statement_runs_in_the_callers_transaction_and_rolls_back_with_it(rt, factories) -> None:  # type: ignore[no-untyped-def]
    account_id = _id(rt, factories, "dlambert")
    with pytest.raises(RuntimeError), rt.db.transaction() as s:
        devices_repo.add_device(s, account_id, "cookie-1", 100, keep=5, known_before=0)
        assert _devices(s, account_id) == 1  # seen inside
        raise RuntimeError("the request failed half-way")
    with rt.db.transaction() as s:
        assert _devices(s, account_id) == 0  # rolled back with it


def test_rowcount_quotes_and_a_duplicate_key(rt, factories) -> None:  # type: ignore[no-untyped-def]
    account_id = _id(rt, factories, "elefebvre")
    hostile = "it's a \"quoted\" value; DROP TABLE accounts; -- ? %s %(x)s é\x01"
    with rt.db.transaction() as s:
        devices_repo.add_device(s, account_id, hostile, 100, keep=5, known_before=0)
        updated = execute_sql(s, "UPDATE known_devices SET last_seen_at = ? WHERE account_id = ?",
                              (200, account_id)).rowcount
        assert updated == 1
    with pytest.raises(IntegrityError), rt.db.transaction() as s:  # the same device again
        devices_repo.add_device(s, account_id, hostile, 300, keep=5, known_before=1)
    with rt.db.read() as s:
        assert _devices(s, account_id) == 1


def test_the_oldest_devices_give_way_past_the_kept_number(rt, factories) -> None:  # type: ignore[no-untyped-def]
    account_id = _id(rt, factories, "fmercier")
    with rt.db.transaction() as s:
        for i in range(4):
            devices_repo.add_device(s, account_id, f"cookie-{i}", 100 + i, keep=3, known_before=i)
        kept = execute_sql(s, "SELECT first_seen_at FROM known_devices WHERE account_id = ? "
                           "ORDER BY first_seen_at", (account_id,)).scalars().all()
    assert kept == [101, 102, 103]


def test_hostile_values_go_as_parameters_never_as_sql(rt) -> None:  # type: ignore[no-untyped-def]
    """Quotes, placeholders of either driver, NUL and non-ASCII in a value written by
    `execute_sql` (the session's data) come back as they went."""
    from idp.storage.repositories import sessions as sessions_repo

    hostile = "it's \"quoted\"; DROP TABLE browser_sessions; -- ? %s %(x)s %% \x00 é 😀"
    now = rt.clock.now()
    with rt.db.transaction() as s:
        sessions_repo.create_session(s, "hostile-cookie", "sid-h", now, now + 60,
                                     {"v": hostile, hostile: [hostile]})
        sessions_repo.save_session_data(s, "hostile-cookie", {"v": hostile, "w": "?"})
    row = sessions_repo.find_session_row(rt.db, "hostile-cookie", now)
    assert row is not None and row.data == {"v": hostile, "w": "?"}
