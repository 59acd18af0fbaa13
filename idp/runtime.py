"""Everything a request needs, built once per app from Settings (no globals)."""

from __future__ import annotations

from dataclasses import dataclass

from idp.accounts.passwords import Passwords
from idp.audit import AuditLog
from idp.clock import Clock, SystemClock
from idp.oidc.clients import ClientCache
from idp.oidc.keys import KeyStore
from idp.settings import Settings
from idp.storage.db import Database


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    db: Database
    keys: KeyStore
    passwords: Passwords
    clients: ClientCache
    audit: AuditLog

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        clock = clock or SystemClock()
        db = Database(settings.database_url)
        return cls(
            settings=settings,
            clock=clock,
            db=db,
            keys=KeyStore(settings.keys_dir, clock, settings.key_retire_after),
            passwords=Passwords(settings),
            clients=ClientCache(db, settings.client_cache_ttl, clock),
            audit=AuditLog(db, clock, settings.audit_flush_interval),
        )

    def close(self) -> None:
        self.audit.stop()
        self.db.dispose()
