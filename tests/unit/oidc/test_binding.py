"""The Starlette binding's request must look to authlib exactly like its own OAuth2Request."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from authlib.oauth2.rfc6749 import OAuth2Request

from idp.oidc import client_auth
from idp.oidc.server import HubOAuth2Request
from idp.settings import Settings


def test_hub_request_has_every_attribute_of_authlibs_request() -> None:
    theirs = OAuth2Request("POST", "https://idp.example/token", headers={})
    ours = HubOAuth2Request("POST", "https://idp.example/token", {}, [], [("a", "1")], None)
    assert set(vars(theirs)) <= set(vars(ours))


def test_repeated_parameters_are_kept_for_the_duplicate_check() -> None:
    ours = HubOAuth2Request("POST", "https://idp.example/token", {}, [],
                            [("scope", "a"), ("scope", "b")], None)
    assert ours.payload.datalist["scope"] == ["a", "b"]
    assert ours.form["scope"] in ("a", "b")


@pytest.mark.parametrize("issuer", ["http://idp.example", "ftp://idp.example", "idp.example"])
def test_an_issuer_without_tls_off_loopback_is_refused(issuer: str) -> None:
    with pytest.raises(ValueError, match="IDP_ISSUER"):
        Settings.from_env({}, issuer=issuer)


@pytest.mark.parametrize("issuer", ["https://idp.example", "http://127.0.0.1:8000",
                                    "http://localhost:8000"])
def test_https_and_loopback_issuers_are_accepted(issuer: str) -> None:
    assert Settings.from_env({}, issuer=issuer).issuer == issuer


@pytest.mark.parametrize(("header", "expected"), [
    ("Basic " + base64.b64encode(b"app:s%3Acret").decode(), ("app", "s:cret")),
    ("Basic not base64 \x00", (None, None)),
])
def test_basic_credentials_are_parsed_once_per_request(
        monkeypatch: pytest.MonkeyPatch, header: str, expected: tuple[str | None, str | None],
) -> None:
    """The client cache's check and the client's authentication read them from one parse."""
    parsed = []
    extract = client_auth.extract_basic_authorization

    def counting(headers: Any) -> Any:
        parsed.append(headers)
        return extract(headers)

    monkeypatch.setattr(client_auth, "extract_basic_authorization", counting)
    request = HubOAuth2Request("POST", "https://idp.example/token",
                               {"Authorization": header}, [], [], None)
    assert request.basic_credentials() == expected
    assert client_auth.authenticate_client_secret_basic(lambda _: None, request) is None
    assert request.basic_credentials() == expected
    assert len(parsed) == 1
