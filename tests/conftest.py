"""Fixtures: a migrated database per test worker (SQLite, or PostgreSQL when
IDP_TEST_DATABASE=postgresql), emptied before each test; apps built from Settings."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from idp.clock import FrozenClock
from idp.runtime import Runtime
from idp.settings import Settings
from idp.storage.migrate import upgrade
from idp.storage.models import Base
from tests.factories import Factories

if TYPE_CHECKING:
    from tests.e2e.conftest import Hub

# No per-example deadline nor "too slow" check: the machine running the suite is shared and
# its load varies; a slow example is not a failure (timed properties have their own tests).
hypothesis_settings.register_profile("shared-machine", deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("shared-machine")

PG_ADMIN_URL = os.environ.get(
    "IDP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKEND = os.environ.get("IDP_TEST_DATABASE", "sqlite")
ISSUER = "http://127.0.0.1"


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


@contextlib.contextmanager
def new_pg_database(prefix: str) -> Iterator[str]:
    """The URL of a new PostgreSQL database, dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    # No pool: no connection to the server's own database held while the test runs.
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_url(name)
    finally:
        with engine.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated database for this test worker, dropped at the end."""
    if BACKEND == "postgresql":
        with new_pg_database("idp_test") as url:
            upgrade(url)
            yield url
    else:
        path = tmp_path_factory.mktemp("db") / "idp.sqlite3"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keys")


@pytest.fixture
def settings(database_url: str, keys_dir: Path, tmp_path: Path) -> Settings:
    return Settings.from_env(
        {}, issuer=ISSUER, database_url=database_url, keys_dir=str(keys_dir),
        # Fast hashing in tests; the real cost is measured in bench/.
        argon2_memory_kib=1024, argon2_time_cost=1, client_cache_ttl=0.0,
        # The demo SMS gateway's file: the test's own, not var/ of the checkout.
        sms_sink_file=str(tmp_path / "sms.jsonl"),
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


def empty_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as c:
        for table in reversed(Base.metadata.sorted_tables):
            c.execute(table.delete())
    engine.dispose()


@pytest.fixture
def rt(settings: Settings, clock: FrozenClock) -> Iterator[Runtime]:
    empty_tables(settings.database_url)
    runtime = Runtime.build(settings, clock)
    yield runtime
    runtime.close()


@pytest.fixture
def factories(rt: Runtime) -> Factories:
    return Factories(rt)


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """The hub process of this test worker, on the suite's database backend: one for the
    end-to-end, APA and Chorus tests alike (defined here, not re-exported by their
    conftests, which would start one per folder)."""
    # Imported here: tests/e2e/conftest.py imports this module.
    from tests.e2e.conftest import start_hub, stop_hub

    tmp = tmp_path_factory.mktemp("e2e")
    with contextlib.ExitStack() as stack:
        url = (stack.enter_context(new_pg_database("idp_e2e_main")) if BACKEND == "postgresql"
               else f"sqlite:///{tmp}/hub.sqlite3")
        running = start_hub(url, tmp / "keys")
        yield running
        stop_hub(running)
