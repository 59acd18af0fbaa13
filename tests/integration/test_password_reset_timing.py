"""The forgotten-password request by e-mail takes the same time whether or not the address
has an account that gets a link (no enumeration by timing; method: tests/timing.py)."""

from __future__ import annotations

import pytest

from tests.oidc_helpers import csrf_token
from tests.timing import assert_same_time

LOTS = 10 ** 6


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    # Limits off (tested elsewhere); no delivery during the measure: rows stay queued.
    return settings.replace(recovery_max_sends_per_account=LOTS,
                            recovery_max_sends_per_address=LOTS, outbox_interval=3600.0)


def test_a_link_request_takes_the_same_time_for_unknown_addresses(http, factories):  # type: ignore[no-untyped-def]
    factories.account("camille-c", email="camille@example.test", population="citizen")
    token = csrf_token(http.get("/mot-de-passe-oublie/courriel").text)

    def ask(email: str):  # type: ignore[no-untyped-def]
        def post() -> None:
            response = http.post("/mot-de-passe-oublie/courriel",
                                 data={"csrf_token": token, "email": email})
            assert response.status_code == 200
        return post

    assert_same_time(ask("camille@example.test"), ask("nobody@example.test"))
