from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from idp.oidc.clients import RegisteredClient
    from idp.oidc.server import HubAuthorizationServer, HubOAuth2Request
    from idp.storage.models import Account


@dataclass(frozen=True)
class Authn:
    """What the browser session knows about its authentication."""

    account: Account | None = None
    auth_time: int | None = None
    acr: str | None = None
    amr: tuple[str, ...] = ()
    sid: str | None = None


@dataclass
class AuthorizationContext:
    server: HubAuthorizationServer
    request: HubOAuth2Request  # validated by authlib
    client: RegisteredClient
    authn: Authn
    now: int
    started_at: int  # when the user first arrived with this request
    consent_given: bool = False
    prompts: set[str] = field(default_factory=set)
    claims: dict[str, Any] | None = None

    @property
    def params(self) -> dict[str, str]:
        return self.request.payload.data

    @property
    def fresh_login(self) -> bool:
        """The user logged in after this authorization request started."""
        return self.authn.auth_time is not None and self.authn.auth_time >= self.started_at


@dataclass(frozen=True)
class NeedLogin:
    reason: str
    login_hint: str | None = None


@dataclass(frozen=True)
class NeedConsent:
    scopes: tuple[str, ...]
    claims: tuple[str, ...]


@dataclass(frozen=True)
class Refuse:
    """Shown to the user as a page; nothing goes back to the client."""

    reason: str
