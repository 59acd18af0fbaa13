"""The boundary's fast path (no parsing of short, clean bodies) decides as the full check."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idp.web.middleware.request_limits import (
    ENCODED_CONTROL,
    Refusal,
    _check_encoded,
    _check_parameters,
    has_encoded_control,
)
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


@given(st.binary(max_size=64) | st.lists(st.sampled_from(
    [b"%", b"%0", b"%1f", b"%7F", b"%20", b"\x00", b"\x1f", b"\x7f", b"\t", b"\n", b"\r",
     b"a", b"=", b"&", b"\x80", b"\xff"]), max_size=12).map(b"".join))
def test_the_control_check_finds_what_the_expression_finds(raw: bytes) -> None:
    assert has_encoded_control(raw) == (ENCODED_CONTROL.search(raw) is not None)
