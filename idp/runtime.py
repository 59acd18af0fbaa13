"""Everything a request needs, built once per app from Settings (no globals)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from idp.accounts.passwords import Passwords
from idp.accounts.policy import PasswordPolicies
from idp.audit import AuditLog
from idp.audit_chain import Chain, chain_key
from idp.audit_checkpoints import Checkpoints
from idp.clock import Clock, SystemClock
from idp.federation.registry import ProviderRegistry, probe_interval
from idp.housekeeping import Retention, housekeeping
from idp.messaging.outbox import OutboxDispatcher
from idp.messaging.senders import (
    HTTP_CHANNELS,
    LOGOUT,
    SECURITY_EVENT,
    FileSmsSender,
    HttpEventSender,
    SmtpSender,
)
from idp.oidc.clients import ClientCache
from idp.oidc.keys import KeyStore
from idp.oidc.tokens import TokenService
from idp.portal.content import SiteContent
from idp.settings import Settings
from sitekit.background import Every
from sitekit.storage.database import Database
from sitekit.storage.timeouts import DatabaseTimeouts

T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    db: Database
    keys: KeyStore
    passwords: Passwords
    policies: PasswordPolicies
    content: SiteContent
    clients: ClientCache
    audit: AuditLog
    housekeeping: Every
    executor: ThreadPoolExecutor
    outbox: OutboxDispatcher
    outbox_loop: Every
    providers: ProviderRegistry
    provider_probe: Every
    memory_release: Every

    async def blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """Run database work or password hashing off the event loop.

        A plain executor: anyio's to_thread costs about twice as much per call here.
        """
        # The request's context (its id for the log lines, sitekit/logs.py) goes along.
        return await asyncio.get_running_loop().run_in_executor(
            self.executor, contextvars.copy_context().run, fn, *args)

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        clock = clock or SystemClock()
        keys = KeyStore(settings.keys_dir, clock, settings.key_retire_after)
        policies = PasswordPolicies.load(settings.password_policies_file)
        content = SiteContent.load(settings.content_file)
        db = Database(settings.database_url, pool_size=settings.db_pool_size,
                      threads=settings.threads, timeouts=DatabaseTimeouts(
            settings.db_connect_timeout, settings.db_statement_timeout,
            settings.db_pool_timeout))
        clients = ClientCache(db, settings.client_cache_ttl, clock)
        executor = ThreadPoolExecutor(settings.threads, thread_name_prefix="idp")
        clients.submit = executor.submit
        audit = AuditLog(db, clock, settings.audit_flush_interval, settings.audit_buffer_max,
                         chain=Chain(chain_key(keys.hash_key_bytes())),
                         checkpoints=Checkpoints(keys))
        passwords = Passwords(settings)
        return cls(
            settings=settings,
            clock=clock,
            db=db,
            keys=keys,
            passwords=passwords,
            policies=policies,
            content=content,
            clients=clients,
            audit=audit,
            housekeeping=housekeeping(db, clock, settings.purge_interval, Retention(
                settings.outbox_keep_seconds,
                max(settings.login_failure_window, settings.recovery_send_window),
                settings.history_kept_days * 86400)),
            executor=executor,
            # Freed argon2 buffers back to the system when logins pause (sitekit/memory.py).
            memory_release=Every(0.5, passwords.memory.tick, "memory-release"),
            **_outbox(settings, db, clock, keys, clients, audit),
            **_providers(settings, db, keys, clock),
        )

    def start(self) -> None:
        self.audit.start()
        self.housekeeping.start()
        self.outbox_loop.start()
        self.provider_probe.start()
        self.memory_release.start()

    def close(self) -> None:
        self.memory_release.stop()
        self.provider_probe.stop()
        self.outbox_loop.stop()
        self.housekeeping.stop()
        self.audit.stop()
        self.executor.shutdown(wait=True)
        self.db.dispose()


def _outbox(settings: Settings, db: Database, clock: Clock, keys: KeyStore,
            clients: ClientCache, audit: AuditLog) -> dict[str, Any]:
    tokens = TokenService(settings, keys, clock)

    def uri(attribute: str) -> Callable[[str], str | None]:
        """The client's current URI of that kind (None: the client or its URI is gone)."""
        def of(client_id: str) -> str | None:
            client = clients.get(client_id)
            value = getattr(client, attribute) if client is not None else None
            return str(value) if value else None
        return of

    def report(event: str, channel: str, client_id: str, reason: str | None) -> None:
        audit.record(event, client_id=client_id, channel=channel, reason=reason)

    timeout = settings.backchannel_logout_timeout
    dispatcher = OutboxDispatcher(db, clock, {
        "email": SmtpSender(settings.smtp_host, settings.smtp_port, settings.mail_from),
        "sms": FileSmsSender(settings.sms_sink_file),
        LOGOUT: HttpEventSender(LOGOUT, uri("backchannel_logout_uri"), tokens.sign_event,
                                timeout),
        SECURITY_EVENT: HttpEventSender(SECURITY_EVENT, uri("account_events_uri"),
                                        tokens.sign_event, timeout),
    }, max_age=dict.fromkeys(HTTP_CHANNELS, settings.event_delivery_max_age),
        report=report, reported=frozenset(HTTP_CHANNELS))
    return {"outbox": dispatcher,
            "outbox_loop": Every(settings.outbox_interval, dispatcher.deliver_due, "outbox")}


def _providers(settings: Settings, db: Database, keys: KeyStore, clock: Clock) -> dict[str, Any]:
    registry = ProviderRegistry(
        db, keys, clock, settings.providers_refresh, settings.provider_failure_threshold,
        settings.provider_retry_after, probe_timeout=settings.fi_timeout)
    return {"providers": registry,
            "provider_probe": Every(probe_interval(settings.provider_retry_after),
                                    registry.probe_due, "provider-probe")}
