"""Issue 10, finding 4: neither the login nor the forgotten-password request tells by its
time whether an identifier has an account. 200 interleaved pairs (existing / unknown) against
the ASGI app; the medians differ by less than 0.3 ms, or a Mann-Whitney U test cannot tell
the two sides apart (p > 0.05), in one of two measurements. See tests/timing.py for the
method."""

from __future__ import annotations

import pytest

from tests.oidc_helpers import csrf_token
from tests.timing import assert_same_time

LOTS = 10 ** 6


@pytest.fixture
def settings(settings, tmp_path):  # type: ignore[no-untyped-def]
    # Locks and slow-downs off: they are tested elsewhere and would dominate the time.
    return settings.replace(
        login_max_failures=LOTS, address_max_failures=LOTS, login_max_delay=0.0,
        recovery_max_sends_per_account=LOTS, recovery_max_sends_per_phone=LOTS,
        recovery_max_sends_per_address=LOTS, sms_sink_file=str(tmp_path / "sms.jsonl"),
        outbox_interval=3600.0)


def test_finding4_login_takes_the_same_time_for_unknown_accounts(http, factories):  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt")
    token = csrf_token(http.get("/login").text)

    def attempt(username: str):  # type: ignore[no-untyped-def]
        def post() -> None:
            response = http.post("/login", data={"csrf_token": token, "username": username,
                                                 "password": "not the password"})
            assert response.status_code == 401
        return post

    assert_same_time(attempt("cbernard-xt"), attempt("nobody-xt"))


def test_finding4_recovery_start_takes_the_same_time_for_unknown_accounts(http, factories):  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", phone="+33612345678")
    token = csrf_token(http.get("/mot-de-passe-oublie").text)

    def ask(username: str):  # type: ignore[no-untyped-def]
        def post() -> None:
            response = http.post("/mot-de-passe-oublie", follow_redirects=False,
                                 data={"csrf_token": token, "username": username})
            assert response.status_code == 303
        return post

    assert_same_time(ask("cbernard-xt"), ask("nobody-xt"))
