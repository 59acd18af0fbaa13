"""An upstream identity provider (FI, "fournisseur d'identité") as the hub knows it, and the
rules its registration must follow. Pure domain: no database, no HTTP.

Every check raises `InvalidProvider` with one line naming the field, what is wrong and what
is allowed, so `idp providers add|update` can print it as it is.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
DISPLAY_NAME_MAX = 80
URL_MAX = 1024
CLIENT_ID_MAX = 255
CLIENT_SECRET_MAX = 512
POSITION_MAX = 10_000
SCOPES_MAX = 30
# Client authentication at the FI's token endpoint (OIDC Core §9); "none" is not offered:
# the hub is a confidential client.
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
# eIDAS levels, lowest first (FranceConnect's acr values).
ACR_LEVELS = ("eidas1", "eidas2", "eidas3")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]{1,64}$")
# The endpoints an FI needs when it publishes no discovery document (the JWKS to check its
# signed ID tokens: FranceConnect's `jwksURL`).
REQUIRED_WITHOUT_DISCOVERY = ("issuer", "authorization_endpoint", "token_endpoint",
                              "jwks_uri")
URL_FIELDS = ("discovery_url", "issuer", "authorization_endpoint", "token_endpoint",
              "userinfo_endpoint", "jwks_uri", "end_session_endpoint")


class InvalidProvider(ValueError):
    """A registration refused, with a one-line message for the operator."""


class ProviderState(StrEnum):
    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"  # automatic, after repeated failures
    DISABLED = "disabled"  # the operator's switch


@dataclass(frozen=True)
class Provider:
    id: str
    display_name: str
    logo_url: str | None
    discovery_url: str | None
    issuer: str | None
    authorization_endpoint: str | None
    token_endpoint: str | None
    userinfo_endpoint: str | None
    jwks_uri: str | None
    end_session_endpoint: str | None
    client_id: str
    # In memory only (stored sealed by the keys folder's secret box); never in a repr.
    client_secret: str | None = field(repr=False)
    token_endpoint_auth_method: str
    scopes: tuple[str, ...]
    acr_values: tuple[str, ...]
    position: int
    shown: bool
    enabled: bool

    def replace(self, **changes: Any) -> Provider:
        return dataclasses.replace(self, **changes)

    @property
    def health_url(self) -> str | None:
        """What the probe fetches: the discovery document, or else the JWKS."""
        return self.discovery_url or self.jwks_uri


def state_of(enabled: bool, unavailable: bool) -> ProviderState:
    """The operator's switch wins over the automatic state."""
    if not enabled:
        return ProviderState.DISABLED
    return ProviderState.UNAVAILABLE if unavailable else ProviderState.AVAILABLE


# Checks -------------------------------------------------------------------------------------


def validate(provider: Provider) -> Provider:
    """The provider if every field and their combination are acceptable; raises otherwise."""
    check_id(provider.id)
    check_display_name(provider.display_name)
    if provider.logo_url is not None:
        check_logo(provider.logo_url)
    for name in URL_FIELDS:
        value = getattr(provider, name)
        if value is not None:
            check_url(name, value)
    if provider.discovery_url is not None and not urlsplit(
            provider.discovery_url).path.endswith(DISCOVERY_SUFFIX):
        # OIDC Discovery §4: the document is at the issuer + /.well-known/openid-configuration.
        raise InvalidProvider(f"--discovery-url {provider.discovery_url!r}: must end with "
                              f"{DISCOVERY_SUFFIX}")
    if provider.issuer is not None:
        parts = urlsplit(provider.issuer)
        if parts.query:
            # OIDC Discovery §3: an issuer has no query or fragment.
            raise InvalidProvider(f"--issuer {provider.issuer!r}: an issuer has no query")
    if provider.discovery_url is None:
        missing = [n for n in REQUIRED_WITHOUT_DISCOVERY if getattr(provider, n) is None]
        if missing:
            raise InvalidProvider(
                "give --discovery-url, or the explicit endpoints; missing: "
                + ", ".join(_option(n) for n in missing))
    check_client_id(provider.client_id)
    check_auth_method(provider.token_endpoint_auth_method)
    check_secret(provider.token_endpoint_auth_method, provider.client_secret)
    check_scopes(provider.scopes)
    check_acr_values(provider.acr_values)
    check_position(provider.position)
    return provider


def check_id(value: str) -> None:
    if not ID_PATTERN.match(value):
        raise InvalidProvider(f"--id {value[:60]!r}: 1 to 40 characters, lower-case letters, "
                              "digits and '-', starting with a letter or digit")


def check_display_name(value: str) -> None:
    if not value or value != value.strip() or len(value) > DISPLAY_NAME_MAX:
        raise InvalidProvider(f"--name: 1 to {DISPLAY_NAME_MAX} characters, no leading or "
                              "trailing space")
    if _has_control(value):
        raise InvalidProvider("--name: no control character")


def check_url(name: str, value: str) -> None:
    """An absolute https URL (http only on loopback, for development), without credentials
    or fragment, of bounded length."""
    option = _option(name)
    if len(value) > URL_MAX or _has_control(value) or " " in value:
        raise InvalidProvider(f"{option}: a URL of at most {URL_MAX} characters, no space or "
                              "control character")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise InvalidProvider(f"{option} {value!r}: not a valid URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidProvider(f"{option} {value!r}: an absolute https:// URL is required")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise InvalidProvider(f"{option} {value!r}: https is required (plain http only on "
                              "127.0.0.1 or localhost)")
    if parts.username is not None or parts.password is not None:
        raise InvalidProvider(f"{option}: no user or password in the URL")
    if parts.fragment or value.endswith("#"):
        raise InvalidProvider(f"{option} {value!r}: no fragment (#) allowed")


def check_logo(value: str) -> None:
    """A logo is an https URL (loopback http in development) or a path under /static/."""
    if value.startswith("/"):
        if (not value.startswith("/static/") or len(value) > URL_MAX or ".." in value
                or "//" in value or "\\" in value or _has_control(value)
                or not re.match(r"^[A-Za-z0-9/._-]+$", value)):
            raise InvalidProvider(f"--logo {value[:80]!r}: a path under /static/ (letters, "
                                  "digits, '/', '.', '_', '-', no '..')")
        return
    check_url("logo_url", value)


def check_client_id(value: str) -> None:
    if not value or len(value) > CLIENT_ID_MAX or _has_control(value) or " " in value:
        raise InvalidProvider(f"--client-id: 1 to {CLIENT_ID_MAX} characters, no space or "
                              "control character")


def check_auth_method(value: str) -> None:
    if value not in AUTH_METHODS:
        raise InvalidProvider(f"--auth-method {value[:40]!r}: unknown; allowed: "
                              + ", ".join(AUTH_METHODS))


def check_secret(method: str, secret: str | None) -> None:
    if method in SECRET_METHODS:
        if not secret:
            raise InvalidProvider(f"{method} needs a client secret (--client-secret-file, "
                                  "IDP_PROVIDER_CLIENT_SECRET or the prompt)")
        if len(secret) > CLIENT_SECRET_MAX or _has_control(secret):
            # Never quote the secret itself.
            raise InvalidProvider(f"client secret: 1 to {CLIENT_SECRET_MAX} characters, no "
                                  "control character")
    elif secret is not None:
        raise InvalidProvider(f"{method} authenticates with the hub's signing key: give no "
                              "client secret")


def check_scopes(scopes: Iterable[str]) -> None:
    scopes = tuple(scopes)
    for scope in scopes:
        if not SCOPE_TOKEN.match(scope):
            raise InvalidProvider(f"--scopes: {scope[:40]!r} is not a scope (RFC 6749 §3.3)")
    if "openid" not in scopes:
        # OIDC Core §3.1.2.1: without `openid` the request is not an OpenID Connect one.
        raise InvalidProvider("--scopes must include openid")
    if len(scopes) != len(set(scopes)) or len(scopes) > SCOPES_MAX:
        raise InvalidProvider(f"--scopes: at most {SCOPES_MAX}, each once")


def check_acr_values(values: Iterable[str]) -> None:
    values = tuple(values)
    if not values:
        raise InvalidProvider("--acr: at least one level, among " + ", ".join(ACR_LEVELS))
    for value in values:
        if value not in ACR_LEVELS:
            raise InvalidProvider(f"--acr {value[:40]!r}: unknown level; allowed: "
                                  + ", ".join(ACR_LEVELS))
    if len(values) != len(set(values)):
        raise InvalidProvider("--acr: each level once")


def check_position(value: int) -> None:
    if not 0 <= value <= POSITION_MAX:
        raise InvalidProvider(f"--position {value}: between 0 and {POSITION_MAX}")


def split_list(value: str) -> tuple[str, ...]:
    """'openid profile,email' → ('openid', 'profile', 'email'): commas or spaces."""
    return tuple(part for part in re.split(r"[,\s]+", value.strip()) if part)


def _option(name: str) -> str:
    return {"logo_url": "--logo", "jwks_uri": "--jwks-uri"}.get(
        name, "--" + name.replace("_", "-"))


def _has_control(value: str) -> bool:
    return any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value)
