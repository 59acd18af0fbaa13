"""Everything a request needs, built once per app from Settings (no globals)."""

from __future__ import annotations

from dataclasses import dataclass

from idp.accounts.passwords import Passwords
from idp.audit import AuditLog
from idp.clock import Clock, SystemClock
from idp.housekeeping import Housekeeping
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
    housekeeping: Housekeeping

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
            housekeeping=Housekeeping(db, clock, settings.purge_interval),
        )

    def start(self) -> None:
        self.audit.start()
        self.housekeeping.start()

    def close(self) -> None:
        self.housekeeping.stop()
        self.audit.stop()
        self.db.dispose()
