"""The Starlette binding's request must look to authlib exactly like its own OAuth2Request."""

from __future__ import annotations

import pytest
from authlib.oauth2.rfc6749 import OAuth2Request

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
