"""oidc/refusals.py: what a refusal may quote of a request (issue 15)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from idp.oidc.errors import (
    InvalidRequestError,
    InvalidScopeError,
    LoginRequiredError,
    UnsupportedResponseTypeError,
)
from idp.oidc.refusals import (
    EXCERPT_CHARS,
    PARAMETERS,
    Refusal,
    about,
    excerpt,
    named_description,
    refusal_of,
)


@given(st.text(max_size=300))
def test_an_excerpt_is_short_printable_ascii_without_markup_or_quotes(value: str) -> None:
    shown = excerpt(value)
    assert len(shown) <= EXCERPT_CHARS + 3
    assert all(c.isascii() and c.isprintable() for c in shown)
    assert not set(shown) & set("'\"\\<>&")


def test_the_parameter_comes_from_the_raiser_the_type_or_the_quoted_name() -> None:
    assert refusal_of(about(LoginRequiredError("x"), "id_token_hint")).parameter == (
        "id_token_hint")
    assert refusal_of(InvalidScopeError()).parameter == "scope"
    assert refusal_of(InvalidRequestError("'max_age' must not be negative.")).parameter == (
        "max_age")
    assert refusal_of(InvalidRequestError("Only response_mode=query is supported.")
                      ).parameter == "response_mode"
    # A name the request made up is never taken for a parameter.
    assert refusal_of(InvalidRequestError("'evil_name' is wrong.")).parameter == ""


def test_a_response_type_refusal_does_not_quote_the_value() -> None:
    refusal = refusal_of(UnsupportedResponseTypeError("The response type 'xyz' is bad.", "xyz"))
    assert refusal.parameter == "response_type" and "xyz" not in refusal.reason


def test_error_description_names_the_parameter_once() -> None:
    assert named_description(Refusal("invalid_request", "claims", "Each member must be an "
                                      "object")) == "claims: Each member must be an object."
    assert named_description(Refusal("invalid_request", "max_age", "'max_age' must not be "
                                      "negative")) == "'max_age' must not be negative."
    assert {"client_id", "redirect_uri", "state", "nonce", "code_challenge"} <= PARAMETERS
