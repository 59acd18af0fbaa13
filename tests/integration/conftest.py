from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from idp.app import create_app
from idp.runtime import Runtime
from tests.conftest import ISSUER
from tests.mail import SmtpSink


@pytest.fixture
def app(rt: Runtime):  # type: ignore[no-untyped-def]
    return create_app(rt.settings, runtime=rt)


@pytest.fixture
def http(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url=ISSUER) as client:
        yield client


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """A real SMTP server on a free port, for tests whose settings send mail to it."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()
