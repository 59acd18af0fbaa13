"""The boundary's fast path (no parsing of short, clean bodies) decides as the full check."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idp.web.middleware.request_limits import Refusal, _check_encoded, _check_parameters
from tests.strategies import hostile_parameters


def refused(check, *args) -> bool:  # type: ignore[no-untyped-def]
    try:
        check(*args)
    except Refusal:
        return True
    return False


# Values of 70,000 characters are slow to build on a loaded machine: not a failure.
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example], deadline=None)
@given(st.one_of(
    hostile_parameters(["state", "client_id"]).map(lambda items: urlencode(items).encode()),
    st.binary(max_size=200),
))
def test_fast_path_refuses_exactly_what_the_full_check_refuses(raw) -> None:  # type: ignore[no-untyped-def]
    full = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    assert refused(_check_encoded, raw) == refused(_check_parameters, full)
