"""The registry of upstream identity providers (FI), their shared health, and the version
every process watches. Every change of an FI or of its availability bumps the version in its
own transaction, so the processes reload them within their refresh interval."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from idp.storage.models import FederationVersion, IdentityProvider, ProviderHealth

VERSION_ROW = 1


class DuplicateProvider(Exception):
    """An FI with this id already exists."""


# The version --------------------------------------------------------------------------------


def federation_version(s: Session) -> int:
    return s.scalar(select(FederationVersion.version).where(
        FederationVersion.id == VERSION_ROW)) or 0


def bump_version(s: Session) -> None:
    updated = s.execute(update(FederationVersion).where(FederationVersion.id == VERSION_ROW)
                        .values(version=FederationVersion.version + 1))
    if not updated.rowcount:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        # The row comes with migration 0014; a database emptied by hand lacks it.
        s.add(FederationVersion(id=VERSION_ROW, version=1))
        s.flush()


# The FIs ------------------------------------------------------------------------------------


def add_provider(s: Session, row: IdentityProvider) -> IdentityProvider:
    s.add(row)
    try:
        s.flush()
    except IntegrityError as exc:
        raise DuplicateProvider(row.id) from exc
    s.add(ProviderHealth(provider_id=row.id, consecutive_failures=0, state_since=row.created_at))
    bump_version(s)
    return row


def get_provider(s: Session, provider_id: str) -> IdentityProvider | None:
    return s.get(IdentityProvider, provider_id)


def list_providers(s: Session) -> list[IdentityProvider]:
    """In the operator's order (position, then id)."""
    return list(s.scalars(select(IdentityProvider).order_by(IdentityProvider.position,
                                                            IdentityProvider.id)))


def change_provider(s: Session, provider_id: str, values: dict[str, Any], now: int) -> bool:
    row = s.get(IdentityProvider, provider_id, with_for_update=True)
    if row is None:
        return False
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = now
    bump_version(s)
    return True


def switch_provider(s: Session, provider_id: str, enabled: bool, now: int) -> bool:
    """The operator's switch. Enabling also clears an automatic unavailability: the operator
    says the FI works."""
    row = s.get(IdentityProvider, provider_id, with_for_update=True)
    if row is None:
        return False
    if enabled:
        if not row.enabled:  # available again from now on
            health = s.get(ProviderHealth, provider_id, with_for_update=True)
            if health is not None:
                health.state_since = now
        row.enabled, row.disabled_at = True, None
        reset_health(s, provider_id, now, success=False)
    elif row.enabled:
        row.enabled, row.disabled_at = False, now
    row.updated_at = now
    bump_version(s)
    return True


def remove_provider(s: Session, provider_id: str) -> bool:
    row = s.get(IdentityProvider, provider_id)
    if row is None:
        return False
    health = s.get(ProviderHealth, provider_id)
    if health is not None:  # also where foreign keys are not enforced
        s.delete(health)
        s.flush()
    s.delete(row)
    bump_version(s)
    return True


# Health -------------------------------------------------------------------------------------


def all_health(s: Session) -> dict[str, ProviderHealth]:
    return {h.provider_id: h for h in s.scalars(select(ProviderHealth))}


def get_health(s: Session, provider_id: str) -> ProviderHealth | None:
    return s.get(ProviderHealth, provider_id)


def count_failure(s: Session, provider_id: str, now: int, reason: str, threshold: int,
                  retry_after: int) -> bool:
    """One more consecutive failure; at `threshold` the FI becomes unavailable until
    `now + retry_after` (then probed). True when this failure made it unavailable."""
    health = s.get(ProviderHealth, provider_id, with_for_update=True)
    if health is None:
        return False
    health.consecutive_failures += 1
    health.last_failure_at, health.last_failure_reason = now, reason
    if health.unavailable_until is None and health.consecutive_failures >= threshold:
        health.unavailable_until, health.state_since = now + retry_after, now
        bump_version(s)
        return True
    return False


def reset_health(s: Session, provider_id: str, now: int, success: bool = True) -> bool:
    """A success (or the operator's enable): the count restarts, the FI is shown again.
    True when it was unavailable."""
    health = s.get(ProviderHealth, provider_id, with_for_update=True)
    if health is None:
        return False
    was_unavailable = health.unavailable_until is not None
    health.consecutive_failures = 0
    if success:
        health.last_success_at = now
    if was_unavailable:
        health.unavailable_until, health.state_since = None, now
        bump_version(s)
    return was_unavailable


def due_probes(s: Session, now: int) -> list[str]:
    """Unavailable FIs whose retry time has come."""
    return list(s.scalars(select(ProviderHealth.provider_id).where(
        ProviderHealth.unavailable_until.is_not(None), ProviderHealth.unavailable_until <= now)
        .order_by(ProviderHealth.provider_id)))


def claim_probe(s: Session, provider_id: str, now: int, retry_after: int) -> bool:
    """Take the due probe of an FI: one UPDATE decides among the processes, the next probe
    is pushed `retry_after` later. False when another process took it (or it recovered)."""
    return bool(s.execute(
        update(ProviderHealth)
        .where(ProviderHealth.provider_id == provider_id,
               ProviderHealth.unavailable_until.is_not(None),
               ProviderHealth.unavailable_until <= now)
        .values(unavailable_until=now + retry_after)).rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def note_probe_failure(s: Session, provider_id: str, now: int, reason: str) -> None:
    s.execute(update(ProviderHealth).where(ProviderHealth.provider_id == provider_id)
              .values(last_failure_at=now, last_failure_reason=reason))
