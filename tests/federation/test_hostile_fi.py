"""Each rule of the hub's relying-party checks, broken by a hostile FI (a real server):
the login is refused with the named error, and only the FI's own faults count against it."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from idp.clock import FrozenClock, SystemClock
from idp.federation import errors
from idp.federation.errors import (
    InsufficientAcr,
    IssuerMismatch,
    ProviderBadAnswer,
    ProviderRefused,
    ProviderTimeout,
    ProviderUnreachable,
    StateMismatch,
    TokenInvalid,
    UserinfoMismatch,
)
from idp.federation.metadata import KID_REFETCH_INTERVAL
from idp.federation.providers import Provider
from idp.federation.transport import MAX_ANSWER_BYTES
from idp.federation.upstream import FlowState, UpstreamClient, UpstreamIdentity
from idp.oidc.keys import KeyStore
from tests.federation.conftest import REDIRECT_URI, callback_params, provider
from tests.federation.hostile_fi import CLIENT_ID, CLIENT_SECRET, DROP, HostileFI

pytestmark = pytest.mark.e2e


@pytest.fixture
def fi() -> Iterator[HostileFI]:
    server = HostileFI()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def entry(fi: HostileFI) -> Provider:
    return provider(id="hostile", discovery_url=fi.issuer + "/.well-known/openid-configuration",
                    client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                    scopes=("openid", "given_name", "family_name"))


def new_client(keys: KeyStore, timeout: float = 5, clock: Any = None,
               metadata_ttl: int = 3600) -> UpstreamClient:
    return UpstreamClient(redirect_uri=REDIRECT_URI, timeout=timeout,
                          clock=clock or SystemClock(), signing_key_provider=keys,
                          metadata_ttl=metadata_ttl)


@pytest.fixture
def client(hub_keys: KeyStore) -> Iterator[UpstreamClient]:
    upstream = new_client(hub_keys)
    yield upstream
    upstream.close()


def authorize(client: UpstreamClient, entry: Provider,
              acr: tuple[str, ...] = ("eidas1",)) -> tuple[FlowState, dict[str, str]]:
    """start(), then the browser at the FI: its redirect to the callback, parsed."""
    url, flow = client.start(entry, acr)
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302
    return flow, callback_params(response.headers["location"])


def log_in(client: UpstreamClient, entry: Provider,
           acr: tuple[str, ...] = ("eidas1",)) -> UpstreamIdentity:
    flow, params = authorize(client, entry, acr)
    return client.finish(entry, flow, params)


def refused(client: UpstreamClient, entry: Provider, error: type[errors.UpstreamError],
            acr: tuple[str, ...] = ("eidas1",)) -> Any:
    with pytest.raises(error) as caught:
        log_in(client, entry, acr)
    return caught.value


def test_a_well_behaved_login_gives_the_identity(fi: HostileFI, entry: Provider,
                                                 client: UpstreamClient) -> None:
    identity = log_in(client, entry)
    assert identity.sub == "citizen-42" and identity.acr == "eidas1"
    assert identity.amr == ("pwd",) and identity.claims["family_name"] == "MARTIN"


def test_metadata_and_keys_are_fetched_once_per_ttl(fi: HostileFI, entry: Provider,
                                                    hub_keys: KeyStore) -> None:
    clock = FrozenClock(int(time.time()))
    upstream = new_client(hub_keys, clock=clock, metadata_ttl=60)
    log_in(upstream, entry)
    clock.advance(59)
    log_in(upstream, entry)
    assert fi.hits["discovery"] == 1 and fi.hits["jwks"] == 1
    clock.advance(1)
    log_in(upstream, entry)
    assert fi.hits["discovery"] == 2 and fi.hits["jwks"] == 2
    upstream.close()


# The callback -------------------------------------------------------------------------------

def test_callback_error_is_the_fi_refusal(fi: HostileFI, entry: Provider,
                                          client: UpstreamClient) -> None:
    fi.behaviour.callback_error = "access_denied"
    error = refused(client, entry, ProviderRefused)
    assert error.error == "access_denied" and error.description == "L'usager a annulé"
    assert error.event == "fi_refused" and not error.counts_as_failure
    assert "token" not in fi.hits


def test_callback_with_another_state_is_refused(fi: HostileFI, entry: Provider,
                                                client: UpstreamClient) -> None:
    flow, params = authorize(client, entry)
    with pytest.raises(StateMismatch) as caught:
        client.finish(entry, flow, {**params, "state": flow.state[:-1] + "x"})
    assert not caught.value.counts_as_failure
    with pytest.raises(StateMismatch):
        client.finish(entry, flow, {k: v for k, v in params.items() if k != "state"})
    assert "token" not in fi.hits


def test_replayed_callback_meets_another_flow_and_is_refused(
        fi: HostileFI, entry: Provider, client: UpstreamClient) -> None:
    """The caller pops the flow from the session: a replayed callback finds the browser's next
    flow (or none), whose state is not the replayed one."""
    flow, params = authorize(client, entry)
    client.finish(entry, flow, params)
    _, next_flow = client.start(entry, ["eidas1"])
    with pytest.raises(StateMismatch):
        client.finish(entry, next_flow, params)


def test_replayed_code_is_refused_by_the_fi(fi: HostileFI, entry: Provider,
                                            client: UpstreamClient) -> None:
    flow, params = authorize(client, entry)
    client.finish(entry, flow, params)
    with pytest.raises(ProviderRefused) as caught:
        client.finish(entry, flow, params)
    assert caught.value.error == "invalid_grant" and caught.value.event == "fi_token_refused"


def test_flow_of_another_provider_is_refused(fi: HostileFI, entry: Provider,
                                             client: UpstreamClient) -> None:
    flow, params = authorize(client, entry)
    other = FlowState("another-fi", flow.state, flow.nonce, flow.code_verifier,
                      flow.acr_values, flow.started_at)
    with pytest.raises(StateMismatch):
        client.finish(entry, other, params)


def test_stale_flow_is_refused(fi: HostileFI, entry: Provider, hub_keys: KeyStore) -> None:
    clock = FrozenClock(int(time.time()))
    upstream = new_client(hub_keys, clock=clock)
    flow, params = authorize(upstream, entry)
    clock.advance(1801)
    with pytest.raises(StateMismatch):
        upstream.finish(entry, flow, params)
    upstream.close()


def test_callback_iss_of_another_issuer_is_refused(fi: HostileFI, entry: Provider,
                                                   client: UpstreamClient) -> None:
    fi.behaviour.callback_iss = "https://other-fi.example"
    refused(client, entry, IssuerMismatch)


def test_callback_without_the_promised_iss_is_refused(fi: HostileFI, entry: Provider,
                                                      client: UpstreamClient) -> None:
    fi.behaviour.callback_iss = None
    refused(client, entry, IssuerMismatch)


def test_callback_without_iss_is_accepted_when_not_promised(
        fi: HostileFI, entry: Provider, client: UpstreamClient) -> None:
    fi.behaviour.callback_iss = None
    fi.behaviour.advertise_iss = False
    assert log_in(client, entry).sub == "citizen-42"


# The ID token (OIDC Core §3.1.3.7) -------------------------------------------------------------

@pytest.mark.parametrize(("signing", "reason"), [
    ("stranger", "bad signature"),
    ("none", "alg none"),
    ("hs256_public", "symmetric algorithm HS256"),
])
def test_id_token_not_signed_by_the_fi_is_refused(fi: HostileFI, entry: Provider,
                                                  client: UpstreamClient, signing: str,
                                                  reason: str) -> None:
    fi.behaviour.signing = signing
    error = refused(client, entry, TokenInvalid)
    assert reason in error.reason and not error.counts_as_failure


@pytest.mark.parametrize(("claims", "reason"), [
    ({"aud": "another-client"}, "aud does not contain our client_id"),
    ({"aud": [CLIENT_ID, "another-client"], "azp": CLIENT_ID}, "audiences we do not trust"),
    ({"azp": "another-client"}, "azp is not our client_id"),
    ({"exp": int(time.time()) - 3600}, "expired"),
    ({"iat": int(time.time()) + 3600}, "iat in the future"),
    ({"nonce": "another-nonce"}, "nonce mismatch"),
    ({"nonce": DROP}, "nonce mismatch"),
    ({"sub": DROP}, "sub missing"),
    ({"exp": DROP}, "exp missing"),
    ({"auth_time": int(time.time()) - 3600}, "auth_time before the request"),
])
def test_id_token_breaking_a_rule_is_refused(fi: HostileFI, entry: Provider,
                                             client: UpstreamClient, claims: dict[str, Any],
                                             reason: str) -> None:
    fi.behaviour.id_token_claims = claims
    assert reason in refused(client, entry, TokenInvalid).reason


def test_id_token_of_another_issuer_is_refused(fi: HostileFI, entry: Provider,
                                               client: UpstreamClient) -> None:
    fi.behaviour.id_token_claims = {"iss": "https://other-fi.example"}
    refused(client, entry, IssuerMismatch)


def test_acr_below_the_lowest_asked_is_refused(fi: HostileFI, entry: Provider,
                                               client: UpstreamClient) -> None:
    fi.behaviour.id_token_claims = {"acr": "eidas1"}
    error = refused(client, entry, InsufficientAcr, acr=("eidas2", "eidas3"))
    assert error.asked == ("eidas2", "eidas3") and error.got == "eidas1"
    fi.behaviour.id_token_claims = {"acr": DROP}
    assert refused(client, entry, InsufficientAcr, acr=("eidas2",)).got is None


def test_acr_above_the_lowest_asked_is_accepted(fi: HostileFI, entry: Provider,
                                                client: UpstreamClient) -> None:
    fi.behaviour.id_token_claims = {"acr": "eidas3"}
    assert log_in(client, entry, acr=("eidas2",)).acr == "eidas3"


def test_unknown_kid_refetches_the_keys_once(fi: HostileFI, entry: Provider,
                                             client: UpstreamClient) -> None:
    log_in(client, entry)
    assert fi.hits["jwks"] == 1
    fi.behaviour.published = ["rsa1", "ec2"]  # the FI rotates: a new key appears
    fi.behaviour.signing_key = "ec2"
    assert log_in(client, entry).sub == "citizen-42"
    assert fi.hits["jwks"] == 2
    # Another unknown kid within KID_REFETCH_INTERVAL: no new fetch, refused.
    fi.behaviour.published = ["rsa1", "ec2", "ec3"]
    fi.behaviour.signing_key = "ec3"
    assert "no key of the FI matches kid 'ec3'" in refused(client, entry, TokenInvalid).reason
    assert fi.hits["jwks"] == 2 and KID_REFETCH_INTERVAL == 10


# Userinfo (OIDC Core §5.3) ------------------------------------------------------------------

def test_userinfo_of_another_subject_is_refused(fi: HostileFI, entry: Provider,
                                                client: UpstreamClient) -> None:
    fi.behaviour.userinfo_claims = {"sub": "citizen-43"}
    assert not refused(client, entry, UserinfoMismatch).counts_as_failure


def test_userinfo_signed_by_the_fi_is_accepted(fi: HostileFI, entry: Provider,
                                               client: UpstreamClient) -> None:
    fi.behaviour.userinfo = "jwt"
    identity = log_in(client, entry)
    assert identity.claims["family_name"] == "MARTIN" and identity.claims["aud"] == CLIENT_ID


def test_userinfo_badly_signed_is_refused(fi: HostileFI, entry: Provider,
                                          client: UpstreamClient) -> None:
    fi.behaviour.userinfo = "jwt_stranger"
    assert "userinfo: bad signature" in refused(client, entry, TokenInvalid).reason


def test_signed_userinfo_for_another_audience_or_issuer_is_refused(fi: HostileFI, entry: Provider,
                                                         client: UpstreamClient) -> None:
    fi.behaviour.userinfo = "jwt"
    fi.behaviour.userinfo_claims = {"aud": "another-client"}
    assert "userinfo: aud" in refused(client, entry, TokenInvalid).reason
    fi.behaviour.userinfo_claims = {"iss": "https://other-fi.example"}
    refused(client, entry, IssuerMismatch)


# The FI's health ----------------------------------------------------------------------------

def test_connection_refused_is_unreachable(hub_keys: KeyStore) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        dead = provider(discovery_url=f"http://127.0.0.1:{port}/.well-known/openid-configuration",
                        client_secret="x")
        upstream = new_client(hub_keys)
        with pytest.raises(ProviderUnreachable) as caught:
            upstream.start(dead, ["eidas1"])
        upstream.close()
    assert caught.value.counts_as_failure and caught.value.event == "fi_unreachable"


def test_token_endpoint_slower_than_the_timeout_is_a_timeout(fi: HostileFI, entry: Provider,
                                                             hub_keys: KeyStore) -> None:
    upstream = new_client(hub_keys, timeout=0.5)
    fi.behaviour.token_delay = 2
    started = time.monotonic()
    error = refused(upstream, entry, ProviderTimeout)
    assert time.monotonic() - started < 1.8
    assert error.counts_as_failure and error.event == "fi_timeout"
    upstream.close()


def test_token_endpoint_500_is_a_bad_answer(fi: HostileFI, entry: Provider,
                                            client: UpstreamClient) -> None:
    fi.behaviour.token_status = 500
    error = refused(client, entry, ProviderBadAnswer)
    assert "HTTP 500" in str(error) and error.counts_as_failure


def test_token_answer_without_id_token_is_a_bad_answer(fi: HostileFI, entry: Provider,
                                                       client: UpstreamClient) -> None:
    fi.behaviour.token_status = 201
    fi.behaviour.token_body = {"access_token": "a", "token_type": "Bearer"}
    refused(client, entry, ProviderBadAnswer)


def test_discovery_issuer_mismatch_is_refused_and_counts(fi: HostileFI, entry: Provider,
                                                         client: UpstreamClient) -> None:
    fi.behaviour.discovery_issuer = "https://other-fi.example"
    with pytest.raises(IssuerMismatch) as caught:
        client.start(entry, ["eidas1"])
    assert caught.value.counts_as_failure


def test_discovery_issuer_other_than_configured_is_refused(fi: HostileFI, entry: Provider,
                                                           client: UpstreamClient) -> None:
    configured = provider(**{**entry.__dict__, "issuer": "https://configured.example"})
    with pytest.raises(IssuerMismatch):
        client.start(configured, ["eidas1"])


@pytest.mark.parametrize(("body", "message"), [
    (b"<html>maintenance</html>", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"issuer": "%s"}', "missing"),
    (b" " * (MAX_ANSWER_BYTES + 1), "larger than"),
])
def test_discovery_unusable_is_a_bad_answer(fi: HostileFI, entry: Provider,
                                            client: UpstreamClient, body: bytes,
                                            message: str) -> None:
    fi.behaviour.discovery_body = body.replace(b"%s", fi.issuer.encode())
    with pytest.raises(ProviderBadAnswer) as caught:
        client.start(entry, ["eidas1"])
    assert message in str(caught.value)


def test_discovery_redirect_is_not_followed(fi: HostileFI, entry: Provider,
                                            client: UpstreamClient) -> None:
    fi.behaviour.discovery_redirect = True
    with pytest.raises(ProviderBadAnswer):
        client.start(entry, ["eidas1"])


def test_end_session_url_keeps_the_endpoint_query(fi: HostileFI, entry: Provider,
                                                  client: UpstreamClient) -> None:
    url = client.end_session_url(entry, "a.b.c", None, None)
    assert url == fi.issuer + "/logout?ui=fr&id_token_hint=a.b.c&client_id=hub"


@pytest.mark.parametrize("error", ["server_error", "temporarily_unavailable"])
def test_callback_error_of_an_fi_in_trouble_counts(fi: HostileFI, entry: Provider,
                                                   client: UpstreamClient, error: str) -> None:
    fi.behaviour.callback_error = error
    assert refused(client, entry, ProviderRefused).counts_as_failure


def test_id_token_without_kid_is_checked_with_the_key_of_its_alg(
        fi: HostileFI, entry: Provider, client: UpstreamClient) -> None:
    fi.behaviour.id_token_header = {"kid": DROP}
    assert log_in(client, entry).sub == "citizen-42"
    fi.behaviour.signing = "stranger"
    assert "bad signature" in refused(client, entry, TokenInvalid).reason


def test_id_token_alg_other_than_its_key_is_refused(fi: HostileFI, entry: Provider,
                                                    client: UpstreamClient) -> None:
    """The RSA key published for RS256 cannot verify a PS256 header (RFC 7517 §4.4)."""
    fi.behaviour.id_token_header = {"alg": "PS256"}
    with pytest.raises(TokenInvalid) as caught:
        log_in(client, entry)
    assert "no key of the FI matches" in caught.value.reason


def test_key_set_unavailable_is_a_bad_answer(fi: HostileFI, entry: Provider,
                                             client: UpstreamClient) -> None:
    fi.behaviour.jwks_status = 503
    assert refused(client, entry, ProviderBadAnswer).counts_as_failure
