"""Issue 16: the introspection of an access token by a client this process has cached, and
a page's read of its browser session, are answered on the event loop, without the thread
pool, on both backends (PostgreSQL: its one read done asynchronously, then the request run
again with the row). Revocation state is never cached: a token revoked by another process
is inactive at the very next introspection. A database outage on that path is a 503 with
Retry-After, not a 500."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from idp.app import create_app
from idp.runtime import Runtime
from tests.conftest import BACKEND, ISSUER
from tests.integration.flows import introspect, sign_in
from tests.tcp_proxy import TcpProxy


@contextmanager
def _hub(settings, clock) -> Iterator[tuple[Runtime, TestClient]]:  # type: ignore[no-untyped-def]
    """A second hub process's worth on the same database, caching clients for a while."""
    runtime = Runtime.build(settings.replace(client_cache_ttl=300.0), clock)
    # The version of the clients table is read again only after this: until then a cached
    # client needs no read (the test machine may be slow).
    runtime.clients.version_check = 300.0
    try:
        with TestClient(create_app(runtime.settings, runtime=runtime),
                        base_url=ISSUER) as client:
            yield runtime, client
    finally:
        runtime.close()


@pytest.fixture
def caching(rt, clock) -> Iterator[tuple[Runtime, TestClient]]:  # type: ignore[no-untyped-def]
    with _hub(rt.settings, clock) as pair:
        yield pair


def _without_thread_pool(runtime: Runtime) -> None:
    """From now on anything sent to the thread pool fails (a 500), so a 200 was answered on
    the event loop."""
    runtime.executor.shutdown(wait=True)


def test_introspection_is_answered_on_the_event_loop_and_sees_revocations_at_once(  # type: ignore[no-untyped-def]
        caching, http, factories):
    runtime, hub = caching
    client = factories.client(grant_types=[
        "authorization_code", "refresh_token", "client_credentials"])
    auth = (client.client_id, client.secret)
    tokens = sign_in(http, factories, client)
    other = hub.post("/token", data={"grant_type": "client_credentials"}, auth=auth)
    assert other.status_code == 200, other.text
    assert introspect(hub, client, tokens["access_token"])["active"] is True  # client cached

    _without_thread_pool(runtime)
    for _ in range(3):
        assert introspect(hub, client, tokens["access_token"])["active"] is True
        assert introspect(hub, client, other.json()["access_token"])["active"] is True
    # Revoked through the other hub (its own connections): inactive at the next request.
    assert http.post("/revoke", data={"token": other.json()["access_token"]},
                     auth=auth).status_code == 200
    assert introspect(hub, client, other.json()["access_token"])["active"] is False
    # The refresh token's grant revoked: its access tokens with it.
    assert http.post("/revoke", data={"token": tokens["refresh_token"]},
                     auth=auth).status_code == 200
    assert introspect(hub, client, tokens["access_token"])["active"] is False
    # A thread pool's hop would have been a 500 (checks that the test can fail).
    assert hub.post("/revoke", data={"token": "x"}, auth=auth).status_code == 500


def test_a_page_reads_its_browser_session_on_the_event_loop(caching) -> None:  # type: ignore[no-untyped-def]
    # Hub.load_session: the session's one read without the thread pool, on both backends.
    runtime, hub = caching
    first = hub.get("/login")
    assert first.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', first.text)
    assert token is not None
    _without_thread_pool(runtime)
    again = hub.get("/login")  # the cookie's session found, so none to create
    assert again.status_code == 200
    assert f'name="csrf_token" value="{token.group(1)}"' in again.text
    # A new browser needs a session written: the thread pool, refused (the test can fail).
    hub.cookies.clear()
    with pytest.raises(RuntimeError, match="after shutdown"):
        hub.get("/login")


def test_introspections_at_once_each_get_their_own_answer(caching, http, factories):  # type: ignore[no-untyped-def]
    """Many reads under way together (on PostgreSQL, on one pipelined connection): each
    request gets the answer for its own token."""
    runtime, hub = caching
    client = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                              scope="invoices")
    auth = (client.client_id, client.secret)
    tokens = [hub.post("/token", data={"grant_type": "client_credentials"},
                       auth=auth).json()["access_token"] for _ in range(12)]
    revoked = set(tokens[::3])
    for token in revoked:
        assert http.post("/revoke", data={"token": token}, auth=auth).status_code == 200
    assert introspect(hub, client, tokens[1])["active"] is True  # the client cached
    _without_thread_pool(runtime)

    def active(token: str) -> tuple[str, bool]:
        return token, introspect(hub, client, token)["active"]

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(active, tokens * 8))
    assert answers == [(token, token not in revoked) for token in tokens * 8]


# PostgreSQL only (a network outage of its server): defined, so run, in the suite's
# PostgreSQL pass, absent from the SQLite one rather than skipped there.
if BACKEND == "postgresql":
    def test_a_database_outage_on_the_event_loop_path_is_a_503_then_it_recovers(  # type: ignore[no-untyped-def]
            rt, clock, http, factories):
        target = urlsplit(rt.settings.database_url.replace("postgresql+psycopg", "postgresql"))
        proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
        url = rt.settings.database_url.replace(f"{target.hostname}:{target.port}",
                                               f"127.0.0.1:{proxy.port}")
        settings = rt.settings.replace(database_url=url, db_connect_timeout=1.0,
                                       db_statement_timeout=1.0, db_pool_timeout=1.0)
        client = factories.client()
        tokens = sign_in(http, factories, client)
        try:
            with _hub(settings, clock) as (runtime, hub):
                assert introspect(hub, client, tokens["access_token"])["active"] is True
                _without_thread_pool(runtime)
                assert introspect(hub, client, tokens["access_token"])["active"] is True
                for outage in (proxy.cut, proxy.stall):
                    outage()
                    started = time.monotonic()
                    response = hub.post("/introspect", data={"token": tokens["access_token"]},
                                        auth=(client.client_id, client.secret))
                    assert response.status_code == 503, response.text
                    assert response.headers["retry-after"] == "5"
                    assert response.json()["error"] == "temporarily_unavailable"
                    # Statement wait 1 s + 0.5 s, or libpq's 2 s connect floor, and a margin.
                    assert time.monotonic() - started < 6.0
                    proxy.restore()
                    assert introspect(hub, client, tokens["access_token"])["active"] is True
        finally:
            proxy.close()

    def test_a_connect_left_pending_on_a_finished_event_loop_does_not_stop_the_next_reads(  # type: ignore[no-untyped-def]
            rt):
        """A test client's event loop may end while its connection is being opened: the next
        loop opens its own instead of waiting on that one (a 500 before the fix)."""
        import asyncio

        from sqlalchemy.engine import make_url

        from sitekit.storage.loop_reads import LoopReads

        conninfo = make_url(rt.settings.database_url).set(drivername="postgresql")
        reads = LoopReads(conninfo.render_as_string(hide_password=False), rt.db.timeouts)
        finished = asyncio.new_event_loop()
        reads._loop, reads._connecting = finished, finished.create_future()  # never done
        finished.close()
        try:
            # A thread of its own: this one may hold an event loop of an earlier test.
            with ThreadPoolExecutor(1) as thread:
                read = thread.submit(asyncio.run, reads.fetch_one("SELECT %s::int", (41,)))
                assert read.result(timeout=30) == (41,)
        finally:
            reads.close()

    def _loop_reads(rt, **timeouts):  # type: ignore[no-untyped-def]
        from dataclasses import replace

        from sqlalchemy.engine import make_url

        from sitekit.storage.loop_reads import LoopReads

        conninfo = make_url(rt.settings.database_url).set(drivername="postgresql")
        return LoopReads(conninfo.render_as_string(hide_password=False),
                         replace(rt.db.timeouts, **timeouts))

    def _in_a_loop_of_its_own(coroutine):  # type: ignore[no-untyped-def]
        import asyncio

        # A thread of its own: this one may hold an event loop of an earlier test.
        with ThreadPoolExecutor(1) as thread:
            return thread.submit(asyncio.run, coroutine).result(timeout=60)

    def _then_one_more_read(reads, coroutine):  # type: ignore[no-untyped-def]
        """(what `coroutine` gave, a plain read's row afterwards: the connection serves)."""
        try:
            return (_in_a_loop_of_its_own(coroutine),
                    _in_a_loop_of_its_own(reads.fetch_one("SELECT %s::int", (9,))))
        finally:
            reads.close()

    def test_reads_sent_in_one_turn_of_the_loop_go_in_one_batch_each_with_its_answer(rt):  # type: ignore[no-untyped-def]
        """The reads queued in one turn travel under one sync: one implicit transaction on
        the server, so they see the same transaction id; each gets its own row."""
        import asyncio

        reads = _loop_reads(rt)

        async def together() -> list[tuple[object, ...] | None]:
            await reads.fetch_one("SELECT 1", ())  # connected, the statement prepared
            return await asyncio.gather(*(
                reads.fetch_one("SELECT %s::int, txid_current_if_assigned() IS NULL, "
                                "statement_timestamp() = transaction_timestamp(), "
                                "transaction_timestamp()", (n,))
                for n in range(40)))

        try:
            rows = _in_a_loop_of_its_own(together())
        finally:
            reads.close()
        assert [row[0] for row in rows] == list(range(40))  # type: ignore[index]
        # One implicit transaction for the batch: one transaction start for all 40.
        assert len({row[3] for row in rows}) == 1  # type: ignore[index]

    def test_a_read_that_times_out_does_not_fail_the_others_of_its_batch(rt):  # type: ignore[no-untyped-def]
        """A statement timeout aborts what follows it under the same sync: those reads did
        not run and are sent again, so only the slow one fails (StorageUnavailable)."""
        import asyncio

        from sitekit.storage.errors import StorageUnavailable

        reads = _loop_reads(rt, statement=0.3)

        async def together() -> list[object]:
            await reads.fetch_one("SELECT %s::int", (0,))
            await reads.fetch_one("SELECT pg_sleep(%s::float) IS NULL", (0.0,))
            return await asyncio.gather(
                reads.fetch_one("SELECT %s::int", (1,)),
                reads.fetch_one("SELECT pg_sleep(%s::float) IS NULL", (2.0,)),
                *(reads.fetch_one("SELECT %s::int", (n,)) for n in range(2, 6)),
                # A statement not prepared yet: its preparation is aborted too, then redone.
                reads.fetch_one("SELECT %s::int + 100", (7,)),
                reads.fetch_one("SELECT %s::int + 100", (8,)),
                return_exceptions=True)

        answers, after = _then_one_more_read(reads, together())
        assert answers[0] == (1,)
        assert isinstance(answers[1], StorageUnavailable)
        assert answers[2:] == [*((n,) for n in range(2, 6)), (107,), (108,)]
        assert after == (9,)

    def test_a_read_aborted_twice_is_storage_unavailable_not_an_error(rt):  # type: ignore[no-untyped-def]
        """Sent again after an abort, a read may land behind another slow read: it is then
        refused as the database being too slow (a 503 up the stack), never a bare error."""
        import asyncio

        from sitekit.storage.errors import StorageUnavailable

        reads = _loop_reads(rt, statement=0.3)
        slow = "SELECT pg_sleep(%s::float) IS NULL"

        async def slow_then_slow_again() -> object:
            try:
                return await reads.fetch_one(slow, (2.0,))
            except StorageUnavailable:
                # Its failure is dispatched first: this read joins the batch the aborted
                # one is sent again in, before it.
                return await reads.fetch_one(slow, (2.0,))

        async def together() -> list[object]:
            await reads.fetch_one("SELECT %s::int", (0,))
            await reads.fetch_one(slow, (0.0,))
            return await asyncio.gather(slow_then_slow_again(),
                                        reads.fetch_one("SELECT %s::int", (1,)),
                                        return_exceptions=True)

        answers, after = _then_one_more_read(reads, together())
        assert [type(answer) for answer in answers] == [StorageUnavailable, StorageUnavailable]
        assert after == (9,)


def test_the_introspection_reads_ahead_so_it_runs_once(caching, factories,  # type: ignore[no-untyped-def]
                                                       monkeypatch) -> None:
    """`/introspect` hands its revocation read to `run_on_event_loop` ahead
    (idp/web/protocol_asgi.py): on PostgreSQL the endpoint then runs once, not once for the
    read and once again with its row (a SQLite file is read at once either way)."""
    runtime, hub = caching
    client = factories.client(grant_types=["client_credentials"], redirect_uris=[],
                              scope="invoices")
    token = hub.post("/token", data={"grant_type": "client_credentials"},
                     auth=(client.client_id, client.secret)).json()["access_token"]
    server = hub.app.hub.server  # create_app's outermost layer: ProtocolEndpoints
    endpoint, runs = server.create_endpoint_response, []

    def counted(name, request):  # type: ignore[no-untyped-def]
        runs.append(name)
        return endpoint(name, request)

    monkeypatch.setattr(server, "create_endpoint_response", counted)
    assert introspect(hub, client, token)["active"] is True  # the client cached
    _without_thread_pool(runtime)
    runs.clear()
    assert introspect(hub, client, token)["active"] is True
    assert runs == ["introspection"]
