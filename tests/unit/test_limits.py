"""The limits of idp/limits.py: what they refuse, and that their reasons can always be sent
as an error_description (RFC 6749 §4.1.2.1: %x20-21 / %x23-5B / %x5D-7E)."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InvalidRequestError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idp.limits import (
    AUTHORIZATION_PARAMETER_CHARS,
    MAX_AUTHORIZATION_REQUEST_CHARS,
    MAX_PARAMETER_CHARS,
    authorization_request_problem,
    is_clean_identifier,
    parameter_problem,
    printable_name,
)
from tests.strategies import hostile_values


def is_valid_error_description(text: str) -> bool:
    return all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in text)


def test_nul_and_control_characters_are_refused_in_names_and_values() -> None:
    for bad in ("\x00", "\x01", "\x1b", "\x7f", "\x0b"):
        assert parameter_problem("state", f"a{bad}b") is not None
        assert parameter_problem(f"st{bad}ate", "x") is not None


def test_tab_and_line_breaks_are_accepted_for_text_areas() -> None:
    assert parameter_problem("message", "line one\r\nline two\tend") is None


def test_non_ascii_quotes_and_backslashes_are_accepted_at_the_boundary() -> None:
    assert parameter_problem("username", 'Zoé "O\'Brien" \\ 😀') is None


def test_any_parameter_is_bounded() -> None:
    assert parameter_problem("x", "a" * MAX_PARAMETER_CHARS) is None
    assert parameter_problem("x", "a" * (MAX_PARAMETER_CHARS + 1)) is not None


def test_each_authorization_parameter_is_bounded_at_its_limit() -> None:
    for name, limit in AUTHORIZATION_PARAMETER_CHARS.items():
        value = "a" * limit
        if name in ("response_type", "redirect_uri"):
            value = "code" if name == "response_type" else "https://a.test/" + "a" * (limit - 15)
        assert authorization_request_problem([(name, value)]) is None, name
        assert authorization_request_problem([(name, "a" * (limit + 1))])[0] == name  # type: ignore[index]


def test_unknown_authorization_parameters_are_bounded_too() -> None:
    assert authorization_request_problem([("extra", "a" * 256)]) is None
    assert authorization_request_problem([("extra", "a" * 257)]) is not None


def test_the_whole_authorization_request_is_bounded() -> None:
    items = [(f"x{i}", "a" * 250) for i in range(MAX_AUTHORIZATION_REQUEST_CHARS // 250 + 1)]
    problem = authorization_request_problem(items)
    assert problem is not None and problem[0] == ""


def test_response_type_follows_rfc6749_syntax() -> None:
    assert authorization_request_problem([("response_type", "code id_token")]) is None
    for bad in ('"', "\\", "é", "code ", " code", "co-de"):
        assert authorization_request_problem([("response_type", bad)]) is not None, bad


def test_redirect_uri_must_be_made_of_uri_characters() -> None:
    assert authorization_request_problem([("redirect_uri", "https://a.test/cb?x=%C3%A9")]) is None
    for bad in ('https://a.test/"', "https://a.test/\\", "https://é.test/", "https://a.test/a b"):
        assert authorization_request_problem([("redirect_uri", bad)]) is not None, bad


def test_identifiers_looked_up_are_clean_and_bounded() -> None:
    assert is_clean_identifier("client-1")
    assert not is_clean_identifier(None)
    assert not is_clean_identifier("")
    assert not is_clean_identifier("a\x00")
    assert not is_clean_identifier("a" * 256)


# Values of 70,000 characters are slow to build on a loaded machine: not a failure.
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example], deadline=None)
@given(st.lists(st.tuples(st.one_of(st.text(max_size=20), st.sampled_from(
    sorted(AUTHORIZATION_PARAMETER_CHARS))), hostile_values()), max_size=4))
def test_refusal_reasons_are_always_valid_error_descriptions(items) -> None:  # type: ignore[no-untyped-def]
    problem = authorization_request_problem(items)
    reasons = [problem[1]] if problem else []
    reasons += [p for name, value in items if (p := parameter_problem(name, value))]
    for reason in reasons:
        assert is_valid_error_description(reason), reason
        InvalidRequestError(reason)  # authlib refuses invalid descriptions with ValueError


@given(st.text())
def test_printable_names_are_safe_in_error_descriptions(name) -> None:  # type: ignore[no-untyped-def]
    shown = printable_name(name)
    assert shown and is_valid_error_description(shown) and len(shown) <= 40
