"""Operator actions on the upstream identity providers (FI), shared by `idp providers` and
the tests (no HTTP). A refused value raises `InvalidProvider` (one line, exit status 2);
an unknown FI raises `AdminError`."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet

from idp.admin import AdminError
from idp.federation import providers as rules
from idp.federation.health import iso
from idp.federation.providers import InvalidProvider, Provider, state_of
from idp.federation.stored import (
    PLAIN_FIELDS,
    is_unavailable,
    provider_from_row,
    row_values,
    state_since,
)
from idp.storage.models import IdentityProvider, ProviderHealth
from idp.storage.repositories import providers as repo
from sitekit.storage.database import Database

# Optional fields an update may clear with an empty value.
CLEARABLE = ("logo_url", "discovery_url", "issuer", "authorization_endpoint", "token_endpoint",
             "userinfo_endpoint", "jwks_uri", "end_session_endpoint")
UPDATABLE = (*CLEARABLE, "display_name", "client_id", "token_endpoint_auth_method", "scopes",
             "acr_values", "position", "shown")


class KeepSecret:
    """The secret stays as it is (`update_provider` without a new secret)."""


KEEP = KeepSecret()


def new_provider(*, id: str, display_name: str, client_id: str,
                 client_secret: str | None = None, logo_url: str | None = None,
                 discovery_url: str | None = None, issuer: str | None = None,
                 authorization_endpoint: str | None = None, token_endpoint: str | None = None,
                 userinfo_endpoint: str | None = None, jwks_uri: str | None = None,
                 end_session_endpoint: str | None = None,
                 token_endpoint_auth_method: str = "client_secret_basic",  # noqa: S107 - a method name
                 scopes: tuple[str, ...] = ("openid", "profile", "email", "birth"),
                 acr_values: tuple[str, ...] = ("eidas1",), position: int = 0,
                 shown: bool = True, enabled: bool = True) -> Provider:
    """A Provider from keyword values, every optional one defaulted (checked when added)."""
    return Provider(
        id=id, display_name=display_name, logo_url=logo_url, discovery_url=discovery_url,
        issuer=issuer, authorization_endpoint=authorization_endpoint,
        token_endpoint=token_endpoint, userinfo_endpoint=userinfo_endpoint, jwks_uri=jwks_uri,
        end_session_endpoint=end_session_endpoint, client_id=client_id,
        client_secret=client_secret, token_endpoint_auth_method=token_endpoint_auth_method,
        scopes=tuple(scopes), acr_values=tuple(acr_values), position=position, shown=shown,
        enabled=enabled)


def add_provider(db: Database, box: Fernet, now: int, provider: Provider,
                 at_end: bool = False) -> dict[str, Any]:
    """Register an FI; `at_end`: its position is after the last one on the picker."""
    with db.transaction() as s:
        if repo.get_provider(s, provider.id) is not None:
            raise InvalidProvider(f"--id {provider.id!r}: an FI with this id already exists")
        if at_end:
            last = max((p.position for p in repo.list_providers(s)), default=-1)
            provider = provider.replace(position=min(last + 1, rules.POSITION_MAX))
        rules.validate(provider)
        row = IdentityProvider(**row_values(provider, box), disabled_at=None if provider.enabled
                               else now, created_at=now, updated_at=now)
        try:
            repo.add_provider(s, row)
        except repo.DuplicateProvider:  # added by someone else meanwhile
            raise InvalidProvider(f"--id {provider.id!r}: an FI with this id already "
                                  "exists") from None
        return provider_as_dict(row, repo.get_health(s, provider.id))


def update_provider(db: Database, box: Fernet, now: int, provider_id: str,
                    changes: dict[str, Any], secret: str | KeepSecret | None = KEEP
                    ) -> dict[str, Any]:
    """Change the given fields (None: unchanged; "" clears an optional URL). A new secret
    replaces the stored one; moving to private_key_jwt drops it."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise AdminError(f"cannot update {', '.join(sorted(unknown))}")
    given = {name: value for name, value in changes.items() if value is not None}
    for name in CLEARABLE:
        if given.get(name) == "":
            given[name] = None
    if not given and secret is KEEP:
        raise AdminError("nothing to update: give at least one field to change")
    with db.transaction() as s:
        row = repo.get_provider(s, provider_id)
        if row is None:
            raise AdminError(f"no FI {provider_id!r}")
        current = provider_from_row(row, box)
        updated = current.replace(**given)
        if not isinstance(secret, KeepSecret):
            updated = updated.replace(client_secret=secret)
        elif updated.token_endpoint_auth_method not in rules.SECRET_METHODS:
            updated = updated.replace(client_secret=None)
        rules.validate(updated)
        values = row_values(updated, box)
        if isinstance(secret, KeepSecret) and updated.client_secret == current.client_secret:
            values.pop("client_secret_sealed")  # unchanged: not sealed again
        repo.change_provider(s, provider_id, values, now)
        return provider_as_dict(row, repo.get_health(s, provider_id))


def switch_provider(db: Database, now: int, provider_id: str, enabled: bool) -> dict[str, Any]:
    """The operator's switch (FranceConnect's `active`): a disabled FI is greyed on the
    picker. Enabling also clears an automatic unavailability."""
    with db.transaction() as s:
        if not repo.switch_provider(s, provider_id, enabled, now):
            raise AdminError(f"no FI {provider_id!r}")
        row = repo.get_provider(s, provider_id)
        assert row is not None
        return provider_as_dict(row, repo.get_health(s, provider_id))


def remove_provider(db: Database, provider_id: str) -> None:
    with db.transaction() as s:
        if not repo.remove_provider(s, provider_id):
            raise AdminError(f"no FI {provider_id!r}")


def list_providers(db: Database) -> list[dict[str, Any]]:
    with db.read() as s:
        health = repo.all_health(s)
        return [provider_as_dict(row, health.get(row.id)) for row in repo.list_providers(s)]


def show_provider(db: Database, provider_id: str) -> dict[str, Any]:
    with db.read() as s:
        row = repo.get_provider(s, provider_id)
        if row is None:
            raise AdminError(f"no FI {provider_id!r}")
        return provider_as_dict(row, repo.get_health(s, provider_id))


def provider_as_dict(row: IdentityProvider, health: ProviderHealth | None) -> dict[str, Any]:
    """Everything an operator may see: never the secret, only whether one is set."""
    unavailable = is_unavailable(health)
    state, since = state_of(row.enabled, unavailable), state_since(row, health)
    data: dict[str, Any] = {name: getattr(row, name) for name in PLAIN_FIELDS}
    data.update(
        scopes=list(row.scopes), acr_values=list(row.acr_values),
        secret="set" if row.client_secret_sealed else "not set",
        state=state.value, since=iso(since),
        consecutive_failures=health.consecutive_failures if health is not None else 0,
        next_probe_at=iso(health.unavailable_until) if unavailable and health else None,
        last_failure_at=iso(health.last_failure_at) if health is not None else None,
        last_failure_reason=health.last_failure_reason if health is not None else None,
        last_success_at=iso(health.last_success_at) if health is not None else None,
        created_at=iso(row.created_at), updated_at=iso(row.updated_at))
    return data


def check_allowed_providers(db: Database, ids: list[str] | None) -> list[str] | None:
    """A client's allow list of FIs: every id a registered FI; None (every FI) as it is."""
    if ids is None:
        return None
    for provider_id in ids:
        rules.check_id(provider_id)
    with db.read() as s:
        unknown = [i for i in ids if repo.get_provider(s, i) is None]
    if unknown:
        raise InvalidProvider(f"--providers: no FI {', '.join(map(repr, unknown))} "
                              "(see `idp providers list`)")
    return list(dict.fromkeys(ids))
