"""The hub as a relying party of node-oidc-provider (a certified OpenID Provider, from npm,
unmodified): full code flows with each client authentication method, pivot claims read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from idp.clock import SystemClock
from idp.federation.errors import InsufficientAcr, StateMismatch
from idp.federation.upstream import FlowState, UpstreamClient
from idp.oidc.keys import KeyStore
from tests.federation.conftest import (
    BASIC_SECRET,
    CITIZEN,
    POST_SECRET,
    REDIRECT_URI,
    NodeFI,
    callback_params,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(hub_keys: KeyStore) -> Iterator[UpstreamClient]:
    upstream = UpstreamClient(redirect_uri=REDIRECT_URI, timeout=10, clock=SystemClock(),
                              signing_key_provider=hub_keys)
    yield upstream
    upstream.close()


@pytest.mark.parametrize(("client_id", "method", "secret"), [
    ("hub-basic", "client_secret_basic", BASIC_SECRET),
    ("hub-post", "client_secret_post", POST_SECRET),
    ("hub-jwt", "private_key_jwt", None),
])
def test_code_flow_gives_the_pivot_identity(node_fi: NodeFI, client: UpstreamClient,
                                            client_id: str, method: str,
                                            secret: str | None) -> None:
    fi = node_fi.provider(client_id, token_endpoint_auth_method=method, client_secret=secret)
    url, flow = client.start(fi, ["eidas1"])
    query = parse_qs(urlsplit(url).query)
    assert query["prompt"] == ["login"] and query["code_challenge_method"] == ["S256"]
    assert query["acr_values"] == ["eidas1"] and len(flow.state) >= 32

    identity = client.finish(fi, flow, callback_params(node_fi.log_in(url)))

    assert identity.sub == "angela" and identity.provider_id == "node-fi"
    assert identity.acr == "eidas1" and isinstance(identity.amr, tuple)
    assert identity.auth_time is not None and identity.auth_time >= flow.started_at - 2
    assert {k: identity.claims[k] for k in CITIZEN} == CITIZEN
    assert identity.id_token.count(".") == 2


def test_flow_state_survives_the_session_as_json(node_fi: NodeFI,
                                                 client: UpstreamClient) -> None:
    fi = node_fi.provider("hub-post", token_endpoint_auth_method="client_secret_post",
                          client_secret=POST_SECRET)
    url, flow = client.start(fi, ["eidas1", "eidas2"])
    stored = FlowState.from_dict(json.loads(json.dumps(flow.to_dict())))
    assert stored == flow
    identity = client.finish(fi, stored, callback_params(node_fi.log_in(url, acr="eidas2")))
    assert identity.acr == "eidas2"


def test_signed_userinfo_is_verified_and_read(node_fi: NodeFI, client: UpstreamClient) -> None:
    fi = node_fi.provider("hub-signed-userinfo", token_endpoint_auth_method="client_secret_post",
                          client_secret=POST_SECRET)
    url, flow = client.start(fi, [])
    identity = client.finish(fi, flow, callback_params(node_fi.log_in(url)))
    assert identity.claims["family_name"] == "DUBOIS" and identity.claims["sub"] == "angela"
    # Only the signed form (application/jwt) carries iss and aud (OIDC Core §5.3.2).
    assert identity.claims["iss"] == node_fi.issuer
    assert identity.claims["aud"] == "hub-signed-userinfo"


def test_login_below_the_level_asked_is_refused(node_fi: NodeFI,
                                                client: UpstreamClient) -> None:
    fi = node_fi.provider("hub-basic", client_secret=BASIC_SECRET)
    url, flow = client.start(fi, ["eidas2"])
    with pytest.raises(InsufficientAcr) as refused:
        client.finish(fi, flow, callback_params(node_fi.log_in(url, acr="eidas1")))
    assert refused.value.got == "eidas1" and refused.value.asked == ("eidas2",)


def test_callback_of_another_flow_is_refused(node_fi: NodeFI, client: UpstreamClient) -> None:
    fi = node_fi.provider("hub-basic", client_secret=BASIC_SECRET)
    url, _ = client.start(fi, [])
    _, other_flow = client.start(fi, [])
    with pytest.raises(StateMismatch):
        client.finish(fi, other_flow, callback_params(node_fi.log_in(url)))


def test_end_session_url_names_the_id_token(node_fi: NodeFI, client: UpstreamClient) -> None:
    fi = node_fi.provider("hub-basic", client_secret=BASIC_SECRET)
    url, flow = client.start(fi, [])
    identity = client.finish(fi, flow, callback_params(node_fi.log_in(url)))
    logout = client.end_session_url(fi, identity.id_token, REDIRECT_URI, "st")
    assert logout is not None and logout.startswith(node_fi.issuer + "/session/end")
    query = parse_qs(urlsplit(logout).query)
    assert query["id_token_hint"] == [identity.id_token]
    assert query["post_logout_redirect_uri"] == [REDIRECT_URI] and query["state"] == ["st"]
