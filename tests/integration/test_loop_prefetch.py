"""Reads known ahead on the event loop's path (issue 16): `Database.run_on_event_loop`'s
`prefetch` reads them first on PostgreSQL, so the request runs once instead of once per read;
a guess that is wrong only costs the read. And the pipelined connection's one deadline timer
still cuts off a silent server for every read under way. Real SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from sitekit.storage.database import Database
from sitekit.storage.timeouts import DatabaseTimeouts
from tests.conftest import BACKEND
from tests.tcp_proxy import TcpProxy

SQL = {"sqlite": "SELECT ? + 1", "postgresql": "SELECT %s::int + 1"}


def runs_of(db: Database, wanted: list[int], prefetch: list[int] | None,
            ) -> tuple[list[int | None], int]:
    """What a request reading `wanted` answers, and how many times it ran."""
    runs = 0

    def request() -> list[int | None]:
        nonlocal runs
        runs += 1
        return [None if row is None else int(row[0])
                for row in (db.fetch_one(SQL, (n,)) for n in wanted)]

    async def go() -> list[int | None]:
        return await db.run_on_event_loop(
            request, prefetch=None if prefetch is None else (
                lambda: [(SQL, (n,)) for n in prefetch]))

    # A thread of its own: the test's may hold an event loop of an earlier test.
    with ThreadPoolExecutor(1) as thread:
        answer = thread.submit(asyncio.run, go()).result(timeout=30)
    return answer, runs


@pytest.mark.parametrize(("prefetch", "runs_on_postgresql"), [
    (None, 2),   # the read found, then the request again with its row
    ([41], 1),   # known ahead: once
    ([7], 2),    # a wrong guess: its row unused, the read done as without it
])
def test_a_read_known_ahead_lets_the_request_run_once(rt, prefetch, runs_on_postgresql,  # type: ignore[no-untyped-def]
                                                      ) -> None:
    answer, runs = runs_of(rt.db, [41], prefetch)
    assert answer == [42]
    # A SQLite file is read at once, with or without a guess.
    assert runs == (runs_on_postgresql if BACKEND == "postgresql" else 1)


def test_every_read_known_ahead_and_one_not(rt) -> None:  # type: ignore[no-untyped-def]
    answer, runs = runs_of(rt.db, [1, 2, 3], [1, 3])
    assert answer == [2, 3, 4]
    assert runs == (2 if BACKEND == "postgresql" else 1)


# PostgreSQL only (its server silent): defined, so run, in the suite's PostgreSQL pass,
# absent from the SQLite one rather than skipped there.
if BACKEND == "postgresql":
    def test_a_silent_server_fails_every_read_under_way_within_the_bound(rt) -> None:  # type: ignore[no-untyped-def]
        from sitekit.storage.errors import StorageUnavailable

        target = urlsplit(rt.settings.database_url.replace("postgresql+psycopg", "postgresql"))
        proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
        url = rt.settings.database_url.replace(f"{target.hostname}:{target.port}",
                                               f"127.0.0.1:{proxy.port}")
        db = Database(url, timeouts=DatabaseTimeouts(connect=1.0, statement=1.0, pool=1.0))
        try:
            # One event loop throughout: the connection belongs to the loop that opened it.
            async def scenario() -> tuple[list[object], float, object]:
                async def one(n: int) -> object:
                    try:
                        return await db.run_on_event_loop(lambda: db.fetch_one(SQL, (n,)))
                    except StorageUnavailable as exc:
                        return exc
                assert await one(1) == (2,)  # the connection open and used
                proxy.stall()
                started = time.monotonic()
                answers = await asyncio.gather(one(1), one(2), one(3))
                took = time.monotonic() - started
                proxy.restore()
                return answers, took, await one(5)  # on a fresh connection

            thread = ThreadPoolExecutor(1)
            try:
                answers, took, after = thread.submit(asyncio.run, scenario()).result(timeout=30)
            finally:
                thread.shutdown(wait=False)  # a read left hanging must not hang the suite
            assert all(isinstance(a, StorageUnavailable) for a in answers), answers
            assert all("did not answer in time" in str(a) for a in answers)
            assert 0.9 < took < 4.0  # the client's wait: statement bound + margin
            assert after == (6,)
        finally:
            db.dispose()
            proxy.close()
