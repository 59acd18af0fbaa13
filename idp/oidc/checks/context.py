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
    fi: str | None = None  # the upstream identity provider, when the login was federated


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
    # Set by check_consent: the client's consent mode for this request and the names of the
    # claims it will receive (recorded by decide(), never their values).
    disclosure_mode: str = "explicit"
    released_claims: tuple[str, ...] = ()

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
    """Show the consent page (mode "explicit") or the information page ("information")."""

    scopes: tuple[str, ...]
    claims: tuple[str, ...]
    mode: str = "explicit"


@dataclass(frozen=True)
class Refuse:
    """Shown to the user as a page; nothing goes back to the client."""

    reason: str
