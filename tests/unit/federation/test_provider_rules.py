"""The rules an FI's registration follows (idp/federation/providers.py): every field checked,
one line naming what is wrong, and the secret never in a repr or a message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idp.admin_providers import new_provider
from idp.federation.providers import (
    ID_PATTERN,
    InvalidProvider,
    Provider,
    ProviderState,
    check_logo,
    check_url,
    split_list,
    state_of,
    validate,
)

DISCOVERY = "https://fi.example/.well-known/openid-configuration"


def provider(**changes: object) -> Provider:
    values: dict[str, object] = {"id": "fi-one", "display_name": "FI One", "client_id": "hub",
                                 "client_secret": "s3cr3t-value", "discovery_url": DISCOVERY}
    values.update(changes)
    return new_provider(**values)  # type: ignore[arg-type]  # keyword values of the test


def refused(**changes: object) -> str:
    with pytest.raises(InvalidProvider) as caught:
        validate(provider(**changes))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_complete_registration_is_accepted() -> None:
    assert validate(provider()) == provider()


def test_explicit_endpoints_replace_discovery() -> None:
    validate(provider(discovery_url=None, issuer="https://fi.example",
                      authorization_endpoint="https://fi.example/authorize",
                      token_endpoint="https://fi.example/token",
                      jwks_uri="https://fi.example/jwks"))


def test_without_discovery_the_missing_endpoints_are_named() -> None:
    message = refused(discovery_url=None, issuer="https://fi.example")
    assert "--authorization-endpoint" in message and "--token-endpoint" in message
    assert "--jwks-uri" in message


@pytest.mark.parametrize("bad_id", ["", "Fi", "-fi", "fi_one", "fi one", "a" * 41, "fi/../x",
                                    "fi\x00", "é"])
def test_ids_are_slugs(bad_id: str) -> None:
    assert "--id" in refused(id=bad_id)


@pytest.mark.parametrize("good_id", ["a", "fi-1", "0fi", "a" * 40])
def test_slug_ids_are_accepted(good_id: str) -> None:
    validate(provider(id=good_id))


@pytest.mark.parametrize("name", ["", " FI", "FI ", "x" * 81, "FI\nOne", "FI\x00"])
def test_display_names_are_one_clean_line_of_at_most_80(name: str) -> None:
    assert "--name" in refused(display_name=name)


@pytest.mark.parametrize("url", [
    "http://fi.example/.well-known/openid-configuration",  # plain http off loopback
    "ftp://fi.example/.well-known/openid-configuration",
    "https:///.well-known/openid-configuration",
    "https://user:pw@fi.example/.well-known/openid-configuration",
    "https://fi.example/.well-known/openid-configuration#x",
    "https://fi.example/other",
    "https://fi.example:99999/.well-known/openid-configuration",
    "https://fi.example/.well-known/openid-configuration\n",
    "https://fi.example/" + "a" * 1024 + "/.well-known/openid-configuration",
    "/.well-known/openid-configuration",
])
def test_discovery_urls_are_https_and_well_known(url: str) -> None:
    assert "--discovery-url" in refused(discovery_url=url)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_plain_http_is_allowed_on_loopback_for_development(host: str) -> None:
    validate(provider(discovery_url=f"http://{host}:8080/.well-known/openid-configuration"))


def test_an_issuer_has_no_query() -> None:
    assert "--issuer" in refused(issuer="https://fi.example/?tenant=1")


@pytest.mark.parametrize("logo", ["/static/fi/logo.svg", "https://fi.example/logo.png",
                                  "http://localhost:8000/logo.png"])
def test_logos_are_https_urls_or_static_paths(logo: str) -> None:
    check_logo(logo)


@pytest.mark.parametrize("logo", ["/static/../keys/x.pem", "/etc/passwd", "//evil.example/x",
                                  "/static//x", "javascript:alert(1)", "http://evil.example/x",
                                  "/static/x y.png", "/static/x\"onload=1"])
def test_other_logos_are_refused(logo: str) -> None:
    assert "--logo" in refused(logo_url=logo)


def test_unknown_auth_methods_are_refused() -> None:
    message = refused(token_endpoint_auth_method="none")
    assert "client_secret_basic" in message and "private_key_jwt" in message


def test_secret_methods_need_a_secret() -> None:
    assert "needs a client secret" in refused(client_secret=None)
    assert "needs a client secret" in refused(client_secret="",
                                              token_endpoint_auth_method="client_secret_post")


def test_private_key_jwt_takes_no_secret() -> None:
    validate(provider(token_endpoint_auth_method="private_key_jwt", client_secret=None))
    assert "no client secret" in refused(token_endpoint_auth_method="private_key_jwt")


def test_a_refused_secret_is_never_quoted() -> None:
    secret = "x" * 600
    assert secret not in refused(client_secret=secret)
    assert "\x01" not in refused(client_secret="bad\x01secret")


def test_the_secret_is_not_in_the_repr() -> None:
    assert "s3cr3t-value" not in repr(provider()) and "s3cr3t-value" not in str(provider())


@pytest.mark.parametrize("scopes", [("profile", "email"), ("openid", "bad scope"),
                                    ("openid", 'a"b'), ("openid", "openid"),
                                    ("openid", *(f"s{i}" for i in range(30)))])
def test_scopes_are_tokens_and_include_openid(scopes: tuple[str, ...]) -> None:
    assert "--scopes" in refused(scopes=scopes)


@pytest.mark.parametrize("acr", [(), ("eidas4",), ("eidas1", "eidas1"), ("loa2",)])
def test_acr_values_are_known_eidas_levels(acr: tuple[str, ...]) -> None:
    assert "--acr" in refused(acr_values=acr)


@pytest.mark.parametrize("position", [-1, 10_001])
def test_positions_are_bounded(position: int) -> None:
    assert "--position" in refused(position=position)


@pytest.mark.parametrize("client_id", ["", "a b", "x" * 256, "id\x00"])
def test_client_ids_are_bounded_without_space(client_id: str) -> None:
    assert "--client-id" in refused(client_id=client_id)


def test_state_the_operator_switch_wins() -> None:
    assert state_of(enabled=False, unavailable=True) is ProviderState.DISABLED
    assert state_of(enabled=True, unavailable=True) is ProviderState.UNAVAILABLE
    assert state_of(enabled=True, unavailable=False) is ProviderState.AVAILABLE
    assert ProviderState.DISABLED == "disabled"


def test_lists_split_on_commas_and_spaces() -> None:
    assert split_list(" openid, profile  email,") == ("openid", "profile", "email")


@given(st.text(max_size=60))
def test_any_text_is_an_id_or_a_clear_refusal(value: str) -> None:
    try:
        validate(provider(id=value))
    except InvalidProvider as exc:
        assert not ID_PATTERN.match(value) and "\n" not in str(exc)


@given(st.text(max_size=200))
def test_any_text_is_a_url_or_a_clear_refusal(value: str) -> None:
    try:
        check_url("jwks_uri", value)
    except InvalidProvider as exc:
        assert str(exc).startswith("--jwks-uri")
    else:
        assert value.startswith(("https://", "http://"))
