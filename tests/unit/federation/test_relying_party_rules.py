"""The pure rules of the hub as a relying party of an FI: acr levels, the flow state kept in
the session, client authentication encodings, key sets, PKCE."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from idp.clock import SystemClock
from idp.federation.client_auth import (
    ASSERTION_TYPE,
    assertion_alg,
    client_secret_basic,
    private_key_jwt,
)
from idp.federation.errors import ProviderBadAnswer, TokenInvalid
from idp.federation.id_token import acr_satisfies, check_id_token_claims, read_header
from idp.federation.metadata import parse_key_set
from idp.federation.upstream import FlowState, _code_challenge, _with_query
from idp.oidc.keys import KeyStore

# What a tampered or outdated session may hold in place of a flow state's members.
json_values = (st.none() | st.booleans() | st.integers() | st.text(max_size=5)
               | st.lists(st.text(max_size=3) | st.integers(), max_size=3))


@pytest.mark.parametrize(("asked", "got", "ok"), [
    ((), None, True),
    (("eidas1",), "eidas1", True),
    (("eidas1",), "eidas2", True),
    (("eidas2",), "eidas1", False),
    (("eidas2", "eidas3"), "eidas2", True),
    (("eidas2", "eidas3"), "eidas1", False),
    (("eidas1", "eidas3"), "eidas2", True),  # at least the lowest asked
    (("eidas2",), None, False),
    (("eidas2",), "substantial", False),  # a level outside the order is not comparable
    (("https://fi.example/loa/custom",), "https://fi.example/loa/custom", True),
    (("https://fi.example/loa/custom",), "eidas3", False),
])
def test_acr_must_reach_the_lowest_level_asked(asked: tuple[str, ...], got: str | None,
                                               ok: bool) -> None:
    assert acr_satisfies(asked, got) is ok


def test_flow_state_round_trips_through_json_values() -> None:
    flow = FlowState("fi", "s" * 43, "n" * 43, "v" * 86, ("eidas1", "eidas2"), 1_700_000_000)
    assert FlowState.from_dict(flow.to_dict()) == flow


@settings(database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["provider_id", "state", "nonce", "code_verifier",
                                        "acr_values", "started_at", "other"]), json_values))
def test_flow_state_from_anything_is_a_state_or_value_error(data: dict[str, Any]) -> None:
    try:
        flow = FlowState.from_dict(data)
    except ValueError:
        return
    assert isinstance(flow.started_at, int) and all(isinstance(a, str) for a in flow.acr_values)


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_basic_credentials_are_form_encoded_before_joining(client_id: str, secret: str) -> None:
    """RFC 6749 §2.3.1: a ':' in the id or secret cannot shift the split."""
    header = client_secret_basic(client_id, secret)["Authorization"]
    encoded_id, encoded_secret = base64.b64decode(header.removeprefix("Basic ")).decode().split(":")
    assert unquote_plus(encoded_id) == client_id and unquote_plus(encoded_secret) == secret


def test_private_key_jwt_assertion_follows_rfc_7523(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path, SystemClock(), retire_after=86400)
    now = int(time.time())
    form = private_key_jwt("hub", "https://fi.example/token", keys, "ES256", now)
    again = private_key_jwt("hub", "https://fi.example/token", keys, "ES256", now)
    assert form["client_assertion_type"] == ASSERTION_TYPE
    token = jwt.decode(form["client_assertion"], keys.verification_keyset(),
                       algorithms=["ES256"])
    assert token.header["kid"] == keys.current("ES256").kid
    claims = token.claims
    assert claims["iss"] == claims["sub"] == "hub" and claims["aud"] == "https://fi.example/token"
    assert claims["exp"] - claims["iat"] <= 60 and claims["iat"] == now
    assert claims["jti"] != jwt.decode(again["client_assertion"], keys.verification_keyset(),
                                       algorithms=["ES256"]).claims["jti"]


@pytest.mark.parametrize(("supported", "alg"), [
    ((), "ES256"), (("RS256", "ES256"), "ES256"), (("RS256", "PS256"), "RS256"),
])
def test_assertion_alg_follows_the_fi(supported: tuple[str, ...], alg: str) -> None:
    assert assertion_alg(supported) == alg


def test_assertion_alg_without_a_common_one_is_refused() -> None:
    with pytest.raises(ProviderBadAnswer):
        assertion_alg(("PS512",))


def test_key_set_keeps_only_public_signature_keys() -> None:
    rsa = RSAKey.generate_key(2048, parameters={"kid": "r"})
    enc = ECKey.generate_key("P-256", parameters={"kid": "e", "use": "enc"})
    oct_key = OctKey.generate_key(256, parameters={"kid": "o"})
    keys = parse_key_set({"keys": [rsa.as_dict(private=True), enc.as_dict(private=False),
                                   oct_key.as_dict(private=True)]})
    assert [k.kid for k in keys] == ["r"] and not keys[0].is_private


@pytest.mark.parametrize("document", [
    {}, {"keys": "x"}, {"keys": ["x"]}, {"keys": [{"kty": "RSA", "kid": "broken", "n": "??"}]},
])
def test_unreadable_key_set_is_a_bad_answer(document: dict[str, Any]) -> None:
    with pytest.raises(ProviderBadAnswer):
        parse_key_set(document)


def test_code_challenge_is_rfc_7636_appendix_b() -> None:
    assert _code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == \
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_authorization_url_keeps_the_endpoint_query() -> None:
    url = _with_query("https://fi.example/authorize?tenant=a", {"state": "s t"})
    assert parse_qs(urlsplit(url).query) == {"tenant": ["a"], "state": ["s t"]}


@pytest.mark.parametrize("raw", ["a.b", "a.b.c.d.e", "!!!.b.c", "W10.b.c"])
def test_unreadable_or_encrypted_token_is_invalid(raw: str) -> None:
    with pytest.raises(TokenInvalid):
        read_header(raw, "id_token")


def valid_claims(**changes: Any) -> dict[str, Any]:
    now = 1_700_000_000
    claims = {"iss": "https://fi.example", "aud": "hub", "sub": "s", "exp": now + 60,
              "iat": now, "nonce": "n", "acr": "eidas1"}
    claims.update(changes)
    return claims


@pytest.mark.parametrize(("changes", "reason"), [
    ({"aud": ["hub", "other"], "azp": "hub"}, "audiences we do not trust"),
    ({"aud": 3}, "aud missing or malformed"),
    ({"sub": "é"}, "sub missing or malformed"),
    ({"sub": "x" * 256}, "sub missing or malformed"),
    ({"exp": "soon"}, "exp is not a number"),
    ({"exp": True}, "exp is not a number"),
    ({"iat": 1_700_000_000 - 301}, "iat too old"),
    ({"amr": "pwd"}, "amr is not a list of strings"),
    ({"acr": ["eidas1"]}, "acr is not a string"),
])
def test_id_token_claims_breaking_a_rule(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(TokenInvalid) as caught:
        check_id_token_claims(valid_claims(**changes), issuer="https://fi.example",
                              client_id="hub", nonce="n", acr_asked=("eidas1",),
                              started_at=1_700_000_000, now=1_700_000_000)
    assert reason in caught.value.reason


def test_id_token_within_the_clock_skew_is_accepted() -> None:
    now = 1_700_000_000
    check_id_token_claims(valid_claims(exp=now - 299, iat=now + 299), issuer="https://fi.example",
                          client_id="hub", nonce="n", acr_asked=(), started_at=now, now=now)


