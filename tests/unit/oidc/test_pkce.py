"""PKCE (RFC 7636) as RFC 9700 §2.1.1 wants it: required, S256 only, constant-time check."""

from __future__ import annotations

import hmac
from types import SimpleNamespace

import pytest
from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from hypothesis import given, settings

from idp.oidc.extensions.pkce import S256CodeChallenge, s256_matches
from tests.strategies import code_verifiers, distinct_code_verifiers

VERIFIER = "dBjftJeZ4CVP-mJ92K9CMYCZpDw1Sw8nYrsNyKl6Cxs-extra.chars~ok"
CHALLENGE = create_s256_code_challenge(VERIFIER)


def authorization_grant(**data: str) -> SimpleNamespace:
    """What the authorization-request hook reads from authlib's grant."""
    payload = SimpleNamespace(data=data, datalist={k: [v] for k, v in data.items()})
    return SimpleNamespace(request=SimpleNamespace(payload=payload))


def token_grant(verifier: str | None, challenge: str = CHALLENGE) -> SimpleNamespace:
    """What the token-request hook reads: the form and the redeemed code."""
    form = {} if verifier is None else {"code_verifier": verifier}
    code = SimpleNamespace(code_challenge=challenge, code_challenge_method="S256")
    return SimpleNamespace(request=SimpleNamespace(
        form=form, auth_method="client_secret_basic", authorization_code=code))


def test_an_s256_challenge_is_accepted() -> None:
    grant = authorization_grant(code_challenge=CHALLENGE, code_challenge_method="S256")
    assert S256CodeChallenge().validate_code_challenge(grant, "https://rp.example/cb") is None


def test_the_plain_method_is_refused() -> None:
    grant = authorization_grant(code_challenge=VERIFIER, code_challenge_method="plain")
    with pytest.raises(InvalidRequestError):
        S256CodeChallenge().validate_code_challenge(grant, "https://rp.example/cb")


def test_a_missing_method_is_refused_since_it_means_plain() -> None:
    grant = authorization_grant(code_challenge=CHALLENGE)
    with pytest.raises(InvalidRequestError, match="S256"):
        S256CodeChallenge().validate_code_challenge(grant, "https://rp.example/cb")


def test_a_missing_challenge_is_refused_for_every_client() -> None:
    grant = authorization_grant(code_challenge_method="S256")
    with pytest.raises(InvalidRequestError, match="code_challenge"):
        S256CodeChallenge().validate_code_challenge(grant, "https://rp.example/cb")


def test_the_right_verifier_is_accepted() -> None:
    assert S256CodeChallenge().validate_code_verifier(token_grant(VERIFIER), None) is None


def test_a_wrong_verifier_is_refused_as_invalid_grant() -> None:
    wrong = VERIFIER[:-1] + ("a" if VERIFIER[-1] != "a" else "b")
    with pytest.raises(InvalidGrantError):
        S256CodeChallenge().validate_code_verifier(token_grant(wrong), None)


def test_a_missing_verifier_is_refused_even_for_a_confidential_client() -> None:
    with pytest.raises(InvalidRequestError, match="code_verifier"):
        S256CodeChallenge().validate_code_verifier(token_grant(None), None)


def test_the_verifier_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    S256CodeChallenge().validate_code_verifier(token_grant(VERIFIER), None)
    assert calls == [(CHALLENGE.encode(), CHALLENGE.encode())]


@settings(database=None)
@given(code_verifiers())
def test_any_valid_verifier_matches_its_own_s256_challenge(verifier: str) -> None:
    assert s256_matches(verifier, create_s256_code_challenge(verifier))


@settings(database=None)
@given(distinct_code_verifiers())
def test_another_verifier_does_not_match(pair: tuple[str, str]) -> None:
    verifier, other = pair
    assert not s256_matches(other, create_s256_code_challenge(verifier))
