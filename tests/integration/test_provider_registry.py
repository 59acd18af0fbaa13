"""The registry of upstream identity providers (FI) across processes: two registries on one
database play two hub processes. An operator's change, or an FI turned unavailable by the
failures one process saw, reaches the other within its refresh interval; a real HTTP server
plays the FI the background probe fetches."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import create_engine, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from idp import admin_providers
from idp.clock import FrozenClock
from idp.federation.providers import Provider, ProviderState
from idp.federation.registry import ProviderRegistry
from idp.runtime import Runtime
from sitekit.storage.database import Database
from sitekit.storage.errors import StorageUnavailable
from sitekit.storage.timeouts import DatabaseTimeouts
from tests.servers import ThreadedServer

SECRET = "Upstream-Secret-77b1e0"
AVAILABLE, UNAVAILABLE, DISABLED = (ProviderState.AVAILABLE, ProviderState.UNAVAILABLE,
                                    ProviderState.DISABLED)


class FakeFi(ThreadedServer):
    """An FI's discovery document and JWKS on a real server; `status` and `delay` change
    how it answers, `requests` counts what it was asked."""

    def __init__(self) -> None:
        self.status, self.delay, self.requests = 200, 0.0, 0

        async def document(request: Request) -> Response:
            self.requests += 1
            if self.delay:
                time.sleep(self.delay)  # blocks this server's loop: a hung FI
            if self.status != 200:
                return Response("down", status_code=self.status)
            if request.url.path.endswith("jwks"):
                return JSONResponse({"keys": []})
            return JSONResponse({"issuer": self.base,
                                 "authorization_endpoint": self.base + "/authorize"})

        super().__init__(Starlette(routes=[Route("/.well-known/openid-configuration", document),
                                           Route("/jwks", document)]))


@pytest.fixture
def fi() -> Iterator[FakeFi]:
    with FakeFi() as server:
        yield server


@pytest.fixture
def other_process(rt: Runtime) -> Iterator[Callable[..., ProviderRegistry]]:
    """Registries on their own engine of the same database, as another process has."""
    opened: list[Database] = []

    def make(refresh: float = 0.2, clock: FrozenClock | None = None,
             probe_timeout: float = 6.0) -> ProviderRegistry:
        db = Database(rt.settings.database_url)
        opened.append(db)
        return ProviderRegistry(db, rt.keys, clock or rt.clock, refresh, 3, 60,
                                probe_timeout=probe_timeout)

    yield make
    for db in opened:
        db.dispose()


def register(rt: Runtime, provider_id: str = "fi-one", **options: object) -> None:
    values: dict[str, object] = {
        "id": provider_id, "display_name": f"FI {provider_id}", "client_id": "hub",
        "client_secret": SECRET,
        "discovery_url": "https://fi.example/.well-known/openid-configuration"}
    values.update(options)
    admin_providers.add_provider(rt.db, rt.keys.secret_box, rt.clock.now(),
                                 admin_providers.new_provider(**values))  # type: ignore[arg-type]  # keyword values of the test


def eventually(check: Callable[[], bool], within: float) -> float:
    """Seconds until `check()` holds; fails past `within`."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < within, "not seen in time"
        time.sleep(0.02)
    return time.monotonic() - start


def health_row(rt: Runtime, provider_id: str) -> dict:
    engine = create_engine(rt.settings.database_url)
    with engine.connect() as c:
        row = c.execute(text("SELECT * FROM provider_health WHERE provider_id = :p"),
                        {"p": provider_id}).mappings().one()
    engine.dispose()
    return dict(row)


# Propagation of the operator's changes ------------------------------------------------------


def test_the_runtime_holds_the_registry_and_its_probe_loop(rt: Runtime) -> None:
    assert isinstance(rt.providers, ProviderRegistry)
    assert rt.providers.refresh_seconds == rt.settings.providers_refresh == 2.0
    assert rt.provider_probe.name == "provider-probe" and rt.provider_probe.interval == 10


def test_an_fi_added_by_one_process_appears_in_the_other(rt, other_process) -> None:  # type: ignore[no-untyped-def]
    other = other_process()
    assert other.providers() == []
    register(rt)
    eventually(lambda: [p.id for p, _ in other.providers()] == ["fi-one"], within=5)
    provider = other.get("fi-one")
    assert isinstance(provider, Provider) and provider.client_secret == SECRET  # unsealed
    assert SECRET not in repr(other.providers())


def test_disabled_in_one_process_is_disabled_in_the_other_within_refresh_seconds(  # type: ignore[no-untyped-def]
        rt, other_process) -> None:
    register(rt)
    first, second = other_process(refresh=0.3), other_process(refresh=0.3)
    assert first.state("fi-one") is second.state("fi-one") is AVAILABLE
    admin_providers.switch_provider(first.db, rt.clock.now(), "fi-one", enabled=False)
    waited = eventually(lambda: second.state("fi-one") is DISABLED, within=5)
    assert waited < 0.3 + 1.5  # the refresh interval plus a loaded machine's slack
    assert second.providers()[0][0].enabled is False
    rt.clock.advance(30)
    admin_providers.switch_provider(first.db, rt.clock.now(), "fi-one", enabled=True)
    eventually(lambda: second.state("fi-one") is AVAILABLE, within=5)
    assert second.since("fi-one") == rt.clock.now()  # available again since the switch


def test_between_checks_a_process_trusts_its_snapshot(rt, other_process) -> None:  # type: ignore[no-untyped-def]
    register(rt)
    patient = other_process(refresh=3600)
    assert patient.state("fi-one") is AVAILABLE
    admin_providers.switch_provider(rt.db, rt.clock.now(), "fi-one", enabled=False)
    assert patient.state("fi-one") is AVAILABLE  # no read before the interval has passed


def test_the_operator_order_is_kept(rt, other_process) -> None:  # type: ignore[no-untyped-def]
    register(rt, "fi-b", position=2)
    register(rt, "fi-a", position=5)
    register(rt, "fi-c", position=2, shown=False)
    assert [p.id for p, _ in other_process().providers()] == ["fi-b", "fi-c", "fi-a"]


def test_an_unknown_fi_counts_as_disabled(rt) -> None:  # type: ignore[no-untyped-def]
    assert rt.providers.get("ghost") is None and rt.providers.state("ghost") is DISABLED
    rt.providers.record_failure("ghost", "timeout")  # harmless
    rt.providers.record_success("ghost")


def test_a_removed_fi_disappears_from_the_other_process(rt, other_process) -> None:  # type: ignore[no-untyped-def]
    register(rt)
    other = other_process()
    assert other.get("fi-one") is not None
    admin_providers.remove_provider(rt.db, "fi-one")
    eventually(lambda: other.get("fi-one") is None, within=5)


# Failures and recovery ----------------------------------------------------------------------


def test_failures_up_to_the_threshold_make_the_fi_unavailable_in_every_process(  # type: ignore[no-untyped-def]
        rt, other_process) -> None:
    register(rt)
    first, second = other_process(), other_process()
    first.record_failure("fi-one", "timeout")
    second.record_failure("fi-one", "HTTP 502")  # counted together, whoever saw them
    assert first.state("fi-one") is second.state("fi-one") is AVAILABLE
    first.record_failure("fi-one", "token endpoint answered 500")
    assert first.state("fi-one") is UNAVAILABLE  # at once in the process that saw it
    eventually(lambda: second.state("fi-one") is UNAVAILABLE, within=5)
    row = health_row(rt, "fi-one")
    assert row["consecutive_failures"] == 3
    assert row["unavailable_until"] == rt.clock.now() + 60
    assert row["last_failure_reason"] == "token endpoint answered 500"


def test_a_success_resets_the_count_and_shows_the_fi_back_everywhere(rt, other_process) -> None:  # type: ignore[no-untyped-def]
    register(rt)
    first, second = other_process(), other_process()
    first.record_failure("fi-one", "timeout")
    first.record_failure("fi-one", "timeout")
    second.record_success("fi-one")
    first.record_failure("fi-one", "timeout")
    assert first.state("fi-one") is AVAILABLE  # the count restarted
    for _ in range(2):
        first.record_failure("fi-one", "timeout")
    eventually(lambda: second.state("fi-one") is UNAVAILABLE, within=5)
    second.record_success("fi-one")
    assert second.state("fi-one") is AVAILABLE
    eventually(lambda: first.state("fi-one") is AVAILABLE, within=5)
    row = health_row(rt, "fi-one")
    assert (row["consecutive_failures"], row["unavailable_until"]) == (0, None)
    assert row["last_success_at"] == rt.clock.now()


def test_failure_reasons_are_bounded_one_line_and_never_hold_the_secret(rt) -> None:  # type: ignore[no-untyped-def]
    register(rt)
    rt.providers.record_failure("fi-one", f"echoed client_secret={SECRET}\n\x00" + "x" * 500)
    reason = health_row(rt, "fi-one")["last_failure_reason"]
    assert SECRET not in reason and "[secret]" in reason
    assert len(reason) <= 200 and "\n" not in reason and "\x00" not in reason


def test_the_operator_enable_clears_an_automatic_unavailability(rt) -> None:  # type: ignore[no-untyped-def]
    register(rt)
    for _ in range(3):
        rt.providers.record_failure("fi-one", "timeout")
    assert rt.providers.state("fi-one") is UNAVAILABLE
    data = admin_providers.switch_provider(rt.db, rt.clock.now(), "fi-one", enabled=True)
    assert data["state"] == "available" and data["consecutive_failures"] == 0


def test_disabled_wins_over_unavailable(rt) -> None:  # type: ignore[no-untyped-def]
    register(rt)
    for _ in range(3):
        rt.providers.record_failure("fi-one", "timeout")
    admin_providers.switch_provider(rt.db, rt.clock.now(), "fi-one", enabled=False)
    rt.providers.refresh_seconds = 0
    assert rt.providers.state("fi-one") is DISABLED


# The probe ----------------------------------------------------------------------------------


def make_unavailable(registry: ProviderRegistry, provider_id: str = "fi-one") -> None:
    for _ in range(3):
        registry.record_failure(provider_id, "timeout")
    assert registry.state(provider_id) is UNAVAILABLE


def test_the_probe_shows_the_fi_back_when_its_discovery_url_answers(  # type: ignore[no-untyped-def]
        rt, other_process, fi) -> None:
    register(rt, discovery_url=fi.base + "/.well-known/openid-configuration")
    first, second = other_process(), other_process()
    make_unavailable(first)
    first.probe_due()
    assert fi.requests == 0  # not before retry_after
    rt.clock.advance(60)
    first.probe_due()
    assert fi.requests == 1 and first.state("fi-one") is AVAILABLE
    eventually(lambda: second.state("fi-one") is AVAILABLE, within=5)
    assert health_row(rt, "fi-one")["last_success_at"] == rt.clock.now()


def test_a_failed_probe_keeps_the_fi_unavailable_and_waits_retry_after(  # type: ignore[no-untyped-def]
        rt, fi) -> None:
    register(rt, discovery_url=fi.base + "/.well-known/openid-configuration")
    make_unavailable(rt.providers)
    fi.status = 503
    rt.clock.advance(60)
    rt.providers.probe_due()
    assert fi.requests == 1 and rt.providers.state("fi-one") is UNAVAILABLE
    row = health_row(rt, "fi-one")
    assert row["last_failure_reason"] == "probe: discovery document: HTTP 503"
    assert row["unavailable_until"] == rt.clock.now() + 60
    rt.providers.probe_due()
    assert fi.requests == 1  # next one only after retry_after again
    fi.status = 200
    rt.clock.advance(60)
    rt.providers.probe_due()
    assert fi.requests == 2 and rt.providers.state("fi-one") is AVAILABLE


def test_one_process_probes_per_turn(rt, other_process, fi) -> None:  # type: ignore[no-untyped-def]
    register(rt, discovery_url=fi.base + "/.well-known/openid-configuration")
    processes = [other_process() for _ in range(3)]
    make_unavailable(processes[0])
    rt.clock.advance(60)
    for registry in processes:
        registry.probe_due()
    assert fi.requests == 1


def test_a_hung_fi_fails_the_probe_within_the_timeout(rt, other_process, fi) -> None:  # type: ignore[no-untyped-def]
    register(rt, discovery_url=fi.base + "/.well-known/openid-configuration")
    registry = other_process(probe_timeout=0.5)
    make_unavailable(registry)
    fi.delay = 3.0
    rt.clock.advance(60)
    start = time.monotonic()
    registry.probe_due()
    assert time.monotonic() - start < 2.5
    reason = health_row(rt, "fi-one")["last_failure_reason"]
    assert reason == "probe: discovery document: no answer in time"
    assert registry.state("fi-one") is UNAVAILABLE


def test_an_answer_that_is_not_a_discovery_document_fails_the_probe(rt) -> None:  # type: ignore[no-untyped-def]
    app = Starlette(routes=[Route("/.well-known/openid-configuration",
                                  lambda request: JSONResponse({"hello": "world"}))])
    with ThreadedServer(app) as server:
        register(rt, discovery_url=server.base + "/.well-known/openid-configuration")
        make_unavailable(rt.providers)
        rt.clock.advance(60)
        rt.providers.probe_due()
        assert rt.providers.state("fi-one") is UNAVAILABLE
        assert "neither a discovery document" in health_row(rt, "fi-one")["last_failure_reason"]


def test_without_discovery_the_probe_fetches_the_jwks(rt, fi) -> None:  # type: ignore[no-untyped-def]
    register(rt, discovery_url=None, issuer=fi.base, authorization_endpoint=fi.base + "/a",
             token_endpoint=fi.base + "/t", jwks_uri=fi.base + "/jwks")
    make_unavailable(rt.providers)
    rt.clock.advance(60)
    rt.providers.probe_due()
    assert fi.requests == 1 and rt.providers.state("fi-one") is AVAILABLE


def test_a_disabled_fi_is_not_probed(rt, fi) -> None:  # type: ignore[no-untyped-def]
    register(rt, discovery_url=fi.base + "/.well-known/openid-configuration")
    make_unavailable(rt.providers)
    admin_providers.switch_provider(rt.db, rt.clock.now(), "fi-one", enabled=False)
    rt.clock.advance(60)
    rt.providers.probe_due()
    assert fi.requests == 0


def test_the_probe_loop_shows_the_fi_back_by_itself(rt, fi) -> None:  # type: ignore[no-untyped-def]
    """The background thread the runtime starts, with a short retry time."""
    settings = rt.settings.replace(provider_retry_after=1, providers_refresh=0.1)
    runtime = Runtime.build(settings)  # the system clock: the retry time passes for real
    try:
        register(runtime, discovery_url=fi.base + "/.well-known/openid-configuration")
        make_unavailable(runtime.providers)
        runtime.provider_probe.start()
        eventually(lambda: runtime.providers.state("fi-one") is AVAILABLE, within=10)
        assert fi.requests >= 1
    finally:
        runtime.close()


# When the database is out -------------------------------------------------------------------


def test_the_last_snapshot_is_served_while_the_database_is_out(rt, other_process) -> None:  # type: ignore[no-untyped-def]
    register(rt)
    registry = other_process(refresh=0)
    assert registry.state("fi-one") is AVAILABLE
    registry.db = Database("postgresql+psycopg://postgres@127.0.0.1:1/nowhere",
                           timeouts=DatabaseTimeouts(1.0, 1.0, 1.0))
    try:
        assert registry.state("fi-one") is AVAILABLE
        fresh = ProviderRegistry(registry.db, rt.keys, rt.clock, 0, 3, 60)
        with pytest.raises(StorageUnavailable):  # nothing to serve yet: a 503, not a guess
            fresh.providers()
    finally:
        registry.db.dispose()


# /healthz?detail=1 --------------------------------------------------------------------------


def test_healthz_detail_gives_each_fi_state(rt, http) -> None:  # type: ignore[no-untyped-def]
    register(rt, "fi-one")
    register(rt, "fi-two")
    register(rt, "fi-three", shown=False)
    make_unavailable(rt.providers, "fi-two")
    admin_providers.switch_provider(rt.db, rt.clock.now(), "fi-three", enabled=False)
    rt.providers.refresh_seconds = 0
    response = http.get("/healthz?detail=1")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["status"] == "ok"
    assert {p["id"]: p["state"] for p in body["providers"]} == {
        "fi-one": "available", "fi-two": "unavailable", "fi-three": "disabled"}
    assert all(p["since"].endswith("Z") for p in body["providers"])
    assert SECRET not in response.text and "timeout" not in response.text


def test_plain_healthz_stays_without_io(rt, http) -> None:  # type: ignore[no-untyped-def]
    register(rt)
    rt.providers.db = Database("postgresql+psycopg://postgres@127.0.0.1:1/nowhere",
                               timeouts=DatabaseTimeouts(1.0, 1.0, 1.0))
    try:
        for path in ("/healthz", "/healthz?detail=0", "/healthz?detail=yes"):
            response = http.get(path)
            assert response.status_code == 200 and response.json() == {"status": "ok"}
    finally:
        rt.providers.db.dispose()
        rt.providers.db = rt.db
