"""A citizen's login through an upstream identity provider (FI), without HTTP: which FIs
the picker offers, what level is asked of the chosen one, and what its answer becomes —
a hub account, or a typed failure that names the FI.

The events follow FranceConnect's (FEDERATION.md "Information, consent, history"):
`fi.chosen`, `fi.callback_error`, `fi.refused`, `fi.identity_invalid`, `fi.insufficient_acr`,
`fi.verified`; they carry the FI and the level, never a claim value.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from idp.accounts import linking
from idp.accounts.citizens import (
    AccountDisabled,
    IdentityChanged,
    citizen_for_federated_login,
)
from idp.accounts.linking import Attached
from idp.audit import AuditLog
from idp.clock import Clock
from idp.federation.errors import InsufficientAcr, ProviderRefused, UpstreamError
from idp.federation.pivot import PivotIdentity, PivotInvalid, validate_pivot
from idp.federation.providers import Provider, ProviderState
from idp.federation.registry import ProviderRegistry
from idp.federation.upstream import FlowState, UpstreamClient, UpstreamIdentity
from idp.oidc.assurance import LEVELS
from sitekit.storage.database import Database

# The hub's own citizen login, one of the picker's choices for citizen-facing clients.
HUB_CHOICE = "hub"


@dataclass(frozen=True)
class Choice:
    """One FI on the picker, in the operator's order."""

    provider: Provider
    state: ProviderState
    reachable: bool  # can give the level the application asks

    @property
    def clickable(self) -> bool:
        return self.reachable and self.state is ProviderState.AVAILABLE


@dataclass(frozen=True)
class FederatedLogin:
    account_id: int
    provider_id: str
    acr: str
    amr: tuple[str, ...]
    id_token: str  # the FI's, for its end_session (id_token_hint)


class FederationFailure(Exception):
    """What went wrong with an FI, shown on a page naming it (`kind` picks the message)."""

    def __init__(self, provider: Provider | None, kind: str) -> None:
        super().__init__(kind)
        self.provider = provider
        self.kind = kind


def level(acr: str | None) -> int:
    return LEVELS.get(acr or "", 0)


def asked_level(acr_values: str | None, default: str) -> str:
    """The level an application asks: the lowest known of its `acr_values`, else the
    default (FranceConnect: several values, the lowest; an unknown value, the default)."""
    known = [v for v in (acr_values or "").split() if v in LEVELS]
    return min(known, key=level) if known else default


def level_for_provider(provider: Provider, asked: str) -> str | None:
    """What to ask of the FI: max(the application's level, the FI's minimum); None when the
    FI cannot reach the level asked (it is then not offered)."""
    offered = [v for v in provider.acr_values if v in LEVELS]
    if not offered or max(level(v) for v in offered) < level(asked):
        return None
    return max(asked, min(offered, key=level), key=level)


def choices(registry: ProviderRegistry, allowed: Collection[str] | None,
            asked: str) -> list[Choice]:
    """The FIs of the picker: shown ones, the client's allow list applied (None: all)."""
    return [
        Choice(provider, state, level_for_provider(provider, asked) is not None)
        for provider, state in registry.providers()
        if provider.shown and (allowed is None or provider.id in allowed)
    ]


def selectable(registry: ProviderRegistry, allowed: Collection[str] | None, provider_id: str,
               asked: str) -> Provider:
    """The FI chosen on the picker or named by `idp_hint`, if it may be used now."""
    provider = registry.get(provider_id)
    if provider is None or (allowed is not None and provider_id not in allowed):
        raise FederationFailure(None, "unknown_provider")
    if registry.state(provider_id) is not ProviderState.AVAILABLE:
        raise FederationFailure(provider, "unavailable")
    if level_for_provider(provider, asked) is None:
        raise FederationFailure(provider, "insufficient_acr")
    return provider


def start(upstream: UpstreamClient, registry: ProviderRegistry, audit: AuditLog,
          provider: Provider, asked: str, client_id: str | None) -> tuple[str, FlowState]:
    acr = level_for_provider(provider, asked)
    assert acr is not None  # selectable() checked it
    try:
        url, flow = upstream.start(provider, [acr])
    except UpstreamError as error:  # the FI's discovery is down or answers badly
        _failed(registry, audit, provider, error, client_id)
        raise FederationFailure(provider, "unreachable") from None
    audit.record("fi.chosen", client_id=client_id, fi=provider.id, acr=acr)
    return url, flow


def finish(upstream: UpstreamClient, registry: ProviderRegistry, db: Database, clock: Clock,
           audit: AuditLog, provider: Provider, flow: FlowState, params: Mapping[str, str],
           client_id: str | None) -> FederatedLogin:
    """Check the FI's answer (upstream.py, OIDC Core §3.1.3.7), validate the pivot identity,
    and find or create the citizen (one person, one account)."""
    identity, pivot = _verified(upstream, registry, audit, provider, flow, params, client_id)
    try:
        account_id = citizen_for_federated_login(db, clock, provider.id, identity.sub, pivot)
    except IdentityChanged:
        audit.record("fi.identity_changed", client_id=client_id, fi=provider.id)
        raise FederationFailure(provider, "identity_changed") from None
    except AccountDisabled:
        audit.record("fi.account_disabled", client_id=client_id, fi=provider.id)
        raise FederationFailure(provider, "account_disabled") from None
    acr = identity.acr or flow.acr_values[0]
    audit.record("fi.verified", account_id=account_id, client_id=client_id, fi=provider.id,
                 acr=acr)
    # The methods are the FI's (RFC 8176 has no value for "through a federation").
    return FederatedLogin(account_id, provider.id, acr, identity.amr, identity.id_token)


def finish_link(upstream: UpstreamClient, registry: ProviderRegistry, db: Database,
                clock: Clock, audit: AuditLog, provider: Provider, flow: FlowState,
                params: Mapping[str, str], account_id: int) -> Attached:
    """The FI's answer when a logged-in account links it ("Lier un fournisseur
    d'identité", accounts/linking.py): checked as at login, then the subject and its pivot
    identity attached to `account_id`. LinkRefused."""
    identity, pivot = _verified(upstream, registry, audit, provider, flow, params, None)
    return linking.attach(db, clock, audit, account_id, provider.id, identity.sub, pivot)


def _verified(upstream: UpstreamClient, registry: ProviderRegistry, audit: AuditLog,
              provider: Provider, flow: FlowState, params: Mapping[str, str],
              client_id: str | None) -> tuple[UpstreamIdentity, PivotIdentity]:
    try:
        identity = upstream.finish(provider, flow, params)
    except ProviderRefused as error:
        audit.record("fi.callback_error", client_id=client_id, fi=provider.id,
                     error=error.error)
        raise FederationFailure(provider, "refused") from None
    except InsufficientAcr:
        audit.record("fi.insufficient_acr", client_id=client_id, fi=provider.id)
        raise FederationFailure(provider, "insufficient_acr") from None
    except UpstreamError as error:
        _failed(registry, audit, provider, error, client_id)
        raise FederationFailure(
            provider, "unreachable" if error.counts_as_failure else "bad_answer") from None
    registry.record_success(provider.id)
    try:
        pivot = validate_pivot(identity.claims)
    except PivotInvalid as error:
        # FranceConnect's Y600006: refused and recorded, never passed on.
        audit.record("fi.identity_invalid", client_id=client_id, fi=provider.id,
                     field=error.field)
        raise FederationFailure(provider, "identity_invalid") from None
    return identity, pivot


def _failed(registry: ProviderRegistry, audit: AuditLog, provider: Provider,
            error: UpstreamError, client_id: str | None) -> None:
    if error.counts_as_failure:
        registry.record_failure(provider.id, type(error).__name__)
    audit.record(error.event, client_id=client_id, fi=provider.id,
                 reason=type(error).__name__)
