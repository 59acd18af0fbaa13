""""J'ai déjà un compte" (idp/web/pages/linking.py) does not tell by its time whether the
name typed has an account: 200 interleaved pairs (existing / unknown name, both with a wrong
password), as tests/integration/test_timing_parity.py measures the login."""

from __future__ import annotations

import pytest

from tests.integration.test_account_linking import (  # noqa: F401  (fixtures)
    fi,
    fi_login,
    local_citizen,
    registered,
)
from tests.oidc_helpers import csrf_token
from tests.timing import assert_same_time

LOTS = 10 ** 6


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    # Locks and slow-downs off: they are tested elsewhere and would dominate the time.
    return settings.replace(login_max_failures=LOTS, address_max_failures=LOTS,
                            login_max_delay=0.0, outbox_interval=3600.0)


def test_linking_to_an_account_takes_the_same_time_for_unknown_names(  # type: ignore[no-untyped-def]
        http, rt, registered) -> None:  # noqa: F811
    local_citizen(rt)
    fi_login(http, registered)
    token = csrf_token(http.get("/compte/finaliser").text)

    def attempt(name: str):  # type: ignore[no-untyped-def]
        def post() -> None:
            response = http.post("/compte/finaliser/lier", data={
                "csrf_token": token, "identifier": name, "password": "Pas-le-bon-2026"})
            assert response.status_code == 401
        return post

    assert_same_time(attempt("angele@example.test"), attempt("personne@example.test"))
