"""The registry of upstream identity providers (FI) as each hub process sees it.

Each process keeps a snapshot of the FIs and their availability, and reloads it when the
shared `federation_version` changed (checked at most every `refresh_seconds`): an operator's
change (`idp providers ...`) or an FI turned unavailable by another process is seen by every
process within that interval, without restart (FranceConnect uses database change streams).

Beyond FranceConnect, which only has the operator's switch: failures of an FI (down,
timeout, 5xx, bad answer) are counted in the database by every process; at
`failure_threshold` consecutive failures the FI is unavailable (greyed on the picker) and a
background probe fetches its discovery document (or JWKS) every `retry_after` seconds — one
process per turn — until it answers, which shows it back.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from dataclasses import dataclass

from idp.clock import Clock
from idp.federation.errors import UpstreamError
from idp.federation.providers import DISCOVERY_SUFFIX, Provider, ProviderState, state_of
from idp.federation.stored import is_unavailable, provider_from_row, state_since
from idp.federation.transport import Transport
from idp.oidc.keys import KeyStore
from idp.storage.repositories import providers as repo
from sitekit.storage.database import Database
from sitekit.storage.errors import StorageUnavailable

log = logging.getLogger("idp.federation")

REASON_MAX = 200  # provider_health.last_failure_reason


@dataclass(frozen=True)
class _Entry:
    provider: Provider
    unavailable: bool
    since: int  # when the FI entered its current state

    @property
    def state(self) -> ProviderState:
        return state_of(self.provider.enabled, self.unavailable)


class ProviderRegistry:
    def __init__(self, db: Database, keys: KeyStore, clock: Clock, refresh_seconds: float,
                 failure_threshold: int, retry_after: int, probe_timeout: float = 6.0) -> None:
        self.db = db
        self.keys = keys
        self.clock = clock
        self.refresh_seconds = refresh_seconds
        self.failure_threshold = failure_threshold
        self.retry_after = retry_after
        self.probe_timeout = probe_timeout
        self._lock = threading.Lock()
        self._entries: list[_Entry] | None = None  # nothing is read before the first use
        self._by_id: dict[str, _Entry] = {}
        self._version: int | None = None
        self._checked = -math.inf  # time.monotonic() of the last version check

    # Reading -------------------------------------------------------------------------------

    def providers(self) -> list[tuple[Provider, ProviderState]]:
        """Every FI with its state, in the operator's order."""
        return [(e.provider, e.state) for e in self._current()]

    def get(self, provider_id: str) -> Provider | None:
        self._current()
        entry = self._by_id.get(provider_id)
        return entry.provider if entry is not None else None

    def state(self, provider_id: str) -> ProviderState:
        """An unknown FI counts as disabled: nobody may log in with it."""
        self._current()
        entry = self._by_id.get(provider_id)
        return entry.state if entry is not None else ProviderState.DISABLED

    def since(self, provider_id: str) -> int | None:
        """When the FI entered its current state (seconds since the epoch)."""
        self._current()
        entry = self._by_id.get(provider_id)
        return entry.since if entry is not None else None

    # Health --------------------------------------------------------------------------------

    def record_failure(self, provider_id: str, reason: str) -> None:
        """The FI failed (down, timeout, 5xx, an answer that does not hold): one more
        consecutive failure, seen by every process; at the threshold it is unavailable."""
        clean = self._clean_reason(provider_id, reason)
        with self.db.transaction() as s:
            turned = repo.count_failure(s, provider_id, self.clock.now(), clean,
                                        self.failure_threshold, self.retry_after)
        if turned:
            log.warning("FI %s unavailable after %d consecutive failures (last: %s)",
                        provider_id, self.failure_threshold, clean)
            self._expire()

    def record_success(self, provider_id: str) -> None:
        """The FI answered as it should: the count restarts, and it is shown again."""
        with self.db.transaction() as s:
            recovered = repo.reset_health(s, provider_id, self.clock.now())
        if recovered:
            log.warning("FI %s available again", provider_id)
            self._expire()

    def probe_due(self) -> None:
        """For each unavailable FI whose retry time has come (and that this process is the
        first to claim), fetch its discovery document or JWKS; an answer shows it back."""
        now = self.clock.now()
        with self.db.read() as s:
            due = repo.due_probes(s, now)
        for provider_id in due:
            with self.db.transaction() as s:
                if not repo.claim_probe(s, provider_id, now, self.retry_after):
                    continue
            self._expire()
            provider = self.get(provider_id)
            if provider is None or not provider.enabled or provider.health_url is None:
                continue  # removed, or switched off by the operator: nothing to show back
            problem = self._probe(provider.health_url, provider_id)
            if problem is None:
                self.record_success(provider_id)
            else:
                with self.db.transaction() as s:
                    repo.note_probe_failure(s, provider_id, self.clock.now(),
                                            self._clean_reason(provider_id, "probe: " + problem))
                log.info("FI %s still unavailable: %s", provider_id, problem)

    # Internals -----------------------------------------------------------------------------

    def _probe(self, url: str, provider_id: str = "") -> str | None:
        """None when `url` answers 200 with the JSON object expected; else what was wrong."""
        what = "discovery document" if url.endswith(DISCOVERY_SUFFIX) else "key set"
        transport = Transport(self.probe_timeout)  # bounded: timeout, size, no redirect
        try:
            answer = transport.get(url, what, fi=provider_id)
            if answer.status != 200:
                return f"{what}: HTTP {answer.status}"
            document = answer.json_object(what)
        except UpstreamError as exc:
            return str(exc)
        finally:
            transport.close()
        # OIDC Discovery §3 (`issuer`), RFC 7517 §5 (`keys`).
        if not (isinstance(document.get("issuer"), str) or isinstance(document.get("keys"), list)):
            return f"{what}: neither a discovery document nor a JWK Set"
        return None

    def _clean_reason(self, provider_id: str, reason: str) -> str:
        """Bounded, one line, and without the FI's client secret should a caller pass an
        answer that echoes it."""
        provider = None
        with contextlib.suppress(StorageUnavailable):
            provider = self.get(provider_id)
        secret = provider.client_secret if provider is not None else None
        if secret:
            reason = reason.replace(secret, "[secret]")
        cleaned = "".join(c if c.isprintable() else " " for c in reason).strip()
        return cleaned[:REASON_MAX] or "unspecified"

    def _expire(self) -> None:
        """Check the version at the next use (this process's own change is seen at once)."""
        self._checked = -math.inf

    def _current(self) -> list[_Entry]:
        entries = self._entries
        if entries is not None and time.monotonic() - self._checked < self.refresh_seconds:
            return entries
        with self._lock:
            if self._entries is not None and (
                    time.monotonic() - self._checked < self.refresh_seconds):
                return self._entries
            try:
                self._reload_if_changed()
            except StorageUnavailable as exc:
                if self._entries is None:
                    raise
                # Keep serving the last snapshot; look again after the interval.
                log.warning("FI registry not refreshed: database unavailable (%s)", exc)
            self._checked = time.monotonic()
            assert self._entries is not None
            return self._entries

    def _reload_if_changed(self) -> None:
        with self.db.read() as s:
            # The version first: rows read after it are at least as new.
            version = repo.federation_version(s)
            if self._entries is not None and version == self._version:
                return
            health = repo.all_health(s)
            entries: list[_Entry] = []
            for row in repo.list_providers(s):
                h = health.get(row.id)
                entries.append(_Entry(provider_from_row(row, self.keys.secret_box),
                                      is_unavailable(h), state_since(row, h)))
        self._entries, self._version = entries, version
        self._by_id = {e.provider.id: e for e in entries}


def probe_interval(retry_after: int) -> float:
    """How often each process looks for due probes: often enough that a probe runs soon
    after its retry time, at most every 10 s (one indexed read)."""
    return float(min(max(retry_after, 1), 10))
