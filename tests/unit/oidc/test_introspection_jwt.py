"""When an introspection answer is signed (RFC 9701 §4, §6) and what a resource service sees
of an active token (scopes narrowed to its own, its own subject)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idp.oidc.endpoints.introspection_jwt import accepts, narrowed_answer, signed_answer_alg

JWT = "application/token-introspection+jwt"
ANSWER = {"active": True, "scope": "openid profile email", "sub": "app-sub", "client_id": "app",
          "aud": "app", "iss": "https://hub.example", "exp": 2, "iat": 1, "jti": "j"}


@pytest.mark.parametrize(("accept", "signed"), [
    (JWT, True),
    ("Application/Token-Introspection+JWT", True),
    (f"application/json;q=0.9, {JWT}", True),
    (f"{JWT}; q=0.1", True),
    (f"{JWT};q=0", False),
    (f"{JWT};q=0.0", False),
    (f"{JWT};q=abc", False),
    ("application/json", False),
    ("application/jwt", False),
    ("*/*", False),
    (f"{JWT}x", False),
    ("", False),
])
def test_the_accept_header_asks_for_a_signed_answer(accept: str, signed: bool) -> None:
    assert (signed_answer_alg(None, accept) == "RS256") is signed


def test_rs256_is_the_default_algorithm_of_a_requested_jwt() -> None:
    assert signed_answer_alg(None, JWT) == "RS256"  # RFC 9701 §6


@pytest.mark.parametrize("accept", [None, "application/json", JWT])
def test_a_registered_algorithm_signs_every_answer(accept: str | None) -> None:
    assert signed_answer_alg("ES256", accept) == "ES256"


def test_without_setting_nor_header_the_answer_is_json() -> None:
    assert signed_answer_alg(None, None) is None


@given(st.text(max_size=200))
def test_any_accept_header_is_read_without_error(accept: str) -> None:
    assert isinstance(accepts(accept, JWT), bool)


def test_scopes_are_those_the_service_registered_and_sub_its_own() -> None:
    narrowed = narrowed_answer(ANSWER, ("email", "invoices", "openid"), "service-sub")
    assert narrowed == dict(ANSWER, scope="openid email", sub="service-sub")
    assert ANSWER["scope"] == "openid profile email"  # the answer given is not changed


def test_a_token_for_none_of_the_services_scopes_is_inactive() -> None:
    assert narrowed_answer(ANSWER, ("invoices",), "service-sub") == {"active": False}
    assert narrowed_answer(dict(ANSWER, scope=""), ("openid",), None) == {"active": False}


def test_a_token_naming_no_account_keeps_its_sub() -> None:
    assert narrowed_answer(ANSWER, ("profile",), None)["sub"] == "app-sub"
