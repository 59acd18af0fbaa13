"""What `/healthz?detail=1` tells of the upstream identity providers: id, state and since
when, never a setting, a secret or a failure's detail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from idp.federation.registry import ProviderRegistry


def provider_states(registry: ProviderRegistry) -> list[dict[str, Any]]:
    return [{"id": provider.id, "state": state.value, "since": iso(registry.since(provider.id))}
            for provider, state in registry.providers()]


def iso(epoch: int | None) -> str | None:
    """ISO 8601 in UTC, e.g. 2026-11-27T16:40:00Z."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace(
        "+00:00", "Z")
