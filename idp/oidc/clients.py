"""Registered clients as authlib sees them, and a per-process cache of them.

The cache keeps a client for ``client_cache_ttl`` seconds, and drops every cached client when
the database's ``clients_version`` changed, which it checks at most once a second
(``VERSION_CHECK_SECONDS``): a change made by another process (a rotated secret, a client
removed by ``idp clients remove`` or deleted through RFC 7592) is seen within about a second,
at the cost of one one-row read per second per process, not one per token request; a change
made through this process's own ``invalidate`` is seen at once.

Under load the check is made ahead (issue 16): the first lookup past half the interval has it
read in the thread pool while the cache keeps answering, so the requests arriving when the
interval ends do not all find it due and leave the event loop together (a burst of thread
hops and pool connections every second). Two reads a second at most; the bound is the same.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin

from idp.clock import Clock
from idp.limits import is_clean_identifier
from idp.oidc.errors import InvalidClientError
from idp.storage.models import Client
from idp.storage.repositories import clients as clients_repo
from sitekit.storage.database import Database
from sitekit.storage.errors import StorageUnavailable

log = logging.getLogger("idp.oidc")

VERSION_CHECK_SECONDS = 1.0
SECRET_EXPIRED = "The client secret expired."

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
# What the person sees before the first transfer of data to a client, as FranceConnect
# does: a consent page (private-sector applications), an information page (public
# services), or nothing (the operator's own first-party applications).
CONSENT_MODES = ("explicit", "information", "none")


def uri_problem(uri: str) -> str | None:
    """Why a redirect, logout or key-set URI is refused, or None: absolute https, or http on
    loopback (RFC 8252 §7.3), no fragment (RFC 6749 §3.1.2), at most 1024 characters."""
    if len(uri) > 1024 or not uri.isprintable() or " " in uri:
        return f"invalid URI {uri[:60]!r}: at most 1024 printable characters, no space"
    try:
        parts = urlsplit(uri)
    except ValueError:
        return f"invalid URI {uri[:100]!r}"
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment or (
            "#" in uri):
        return f"invalid URI {uri[:100]!r}: absolute http(s) URI without fragment required"
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return f"invalid URI {uri[:100]!r}: plain http is only allowed on loopback"
    return None


def scope_problem(scope: str) -> str | None:
    """Why a scope value is refused, or None. RFC 6749 §3.3: scope-token =
    1*( %x21 / %x23-5B / %x5D-7E ), space-delimited."""
    tokens = scope.split()
    if not tokens or len(scope) > 1024 or not all(
            all(c == "\x21" or "\x23" <= c <= "\x5b" or "\x5d" <= c <= "\x7e" for c in t)
            for t in tokens):
        return (f"invalid scope {scope[:100]!r}: 1 to 1024 characters, space-separated "
                "tokens of printable ASCII without quote or backslash")
    return None


def hash_secret(secret: str) -> str:
    # Client secrets are 256-bit random values we generate: SHA-256 suffices (no dictionary
    # to attack) and keeps the token endpoint fast; compared with hmac.compare_digest.
    return hashlib.sha256(secret.encode()).hexdigest()


class RegisteredClient(ClientMixin):
    """An immutable snapshot of a client row, safe to share between threads."""

    def __init__(self, row: Client, clock: Clock) -> None:
        self.clock = clock
        self.client_id = row.client_id
        self.name = row.name
        self.secret_hash = row.secret_hash
        self.secret_expires_at = row.secret_expires_at
        self.token_endpoint_auth_method = row.token_endpoint_auth_method
        self.redirect_uris = tuple(row.redirect_uris)
        self.post_logout_redirect_uris = tuple(row.post_logout_redirect_uris)
        self.grant_types = frozenset(row.grant_types)
        self.scopes = tuple(row.scope.split())
        self.audience = tuple(row.audience) or (row.client_id,)
        self.jwks_uri = row.jwks_uri
        self.jwks = row.jwks
        self.id_token_signed_response_alg = row.id_token_signed_response_alg
        self.introspection_signed_response_alg = row.introspection_signed_response_alg
        self.userinfo_signed_response_alg = row.userinfo_signed_response_alg
        self.backchannel_logout_uri = row.backchannel_logout_uri
        self.account_events_uri = row.account_events_uri
        self.subject_type = row.subject_type
        self.sector_identifier = row.sector_identifier or row.client_id
        self.access_rule = row.access_rule
        self.home_url = row.home_url
        self.consent_mode = row.consent_mode or "explicit"
        self.citizen_facing = bool(row.citizen_facing)
        # The FIs its users may log in with; None: every FI.
        self.allowed_providers = (None if row.allowed_providers is None
                                  else frozenset(row.allowed_providers))

    def allows_provider(self, provider_id: str) -> bool:
        return self.allowed_providers is None or provider_id in self.allowed_providers

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        # OIDC Core §3.1.2.1: redirect_uri is REQUIRED; never guess it.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            # RFC 6749 §3.3: a missing scope gets the client's registered scopes, less the
            # ones that change the nature of the request (they must be asked for).
            return " ".join(s for s in self.scopes if s not in ("openid", "offline_access"))
        allowed = set(self.scopes)
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # RFC 9700 §4.1.3: exact string matching, no patterns, no normalisation.
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        """The secret is right and not expired. A right secret past its expiry (at or after
        ``secret_expires_at``, RFC 7591 §3.2.1) raises ``invalid_client`` saying so; a wrong
        one is only False, whatever the expiry: the answer never tells which part failed."""
        if not self.secret_hash:
            return False
        if not hmac.compare_digest(hash_secret(client_secret), self.secret_hash):
            return False
        if self.secret_expires_at and self.secret_expires_at <= self.clock.now():
            raise InvalidClientError(status_code=401, description=SECRET_EXPIRED)
        return True

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    def check_post_logout_redirect_uri(self, uri: str) -> bool:
        return uri in self.post_logout_redirect_uris


class ClientCache:
    def __init__(self, db: Database, ttl: float, clock: Clock,
                 version_check: float = VERSION_CHECK_SECONDS) -> None:
        self.db = db
        self.clock = clock
        self.ttl = ttl
        self.version_check = version_check
        self._entries: dict[str, tuple[float, RegisteredClient | None]] = {}
        self._lock = threading.Lock()
        self._version: int | None = None
        self._checked = -math.inf  # time.monotonic() of the last version check
        # Runs a version check away from the event loop (Runtime: the thread pool's submit);
        # None: no check ahead.
        self.submit: Callable[[Callable[[], None]], object] | None = None
        # A check ahead is submitted and not done. Set by peek() and cleared by the pool's
        # thread without the lock: a race at worst submits a second check, which
        # _follow_version's lock and interval make a no-op.
        self._ahead = False

    def get(self, client_id: str | None) -> RegisteredClient | None:
        if not is_clean_identifier(client_id):
            return None  # also from Basic credentials and JWT claims: never sent to the database
        self._follow_version()
        now = time.monotonic()
        entry = self._entries.get(client_id)
        if entry is not None and entry[0] > now:
            return entry[1]
        with self.db.read() as s:
            row = clients_repo.get_client(s, client_id)
            client = RegisteredClient(row, self.clock) if row is not None else None
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[client_id] = (now + self.ttl, client)
        return client

    def peek(self, client_id: str | None) -> RegisteredClient | None:
        """The cached client if its entry is fresh and the version was checked less than
        ``version_check`` seconds ago, without touching the database."""
        age = time.monotonic() - self._checked
        if age >= self.version_check:
            return None  # get() reads the version first
        if age >= self.version_check / 2 and not self._ahead and self.submit is not None:
            self._check_ahead()
        entry = self._entries.get(client_id) if client_id else None
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    def _check_ahead(self) -> None:
        assert self.submit is not None
        self._ahead = True
        try:
            self.submit(self._check_version_ahead)
        except RuntimeError:  # the pool is shutting down
            self._ahead = False

    def _check_version_ahead(self) -> None:
        try:
            self._follow_version(ahead=True)
        except Exception:  # a bug: the pool would drop it silently; the next get() reads
            log.exception("client cache: version check ahead failed")
        finally:
            self._ahead = False

    def _follow_version(self, ahead: bool = False) -> None:
        """Drop every cached client when another process changed one (at most one read of
        the one-row version table per ``version_check`` seconds, or per half of it when
        checking `ahead`)."""
        due = self.version_check / 2 if ahead else self.version_check
        if time.monotonic() - self._checked < due:
            return
        with self._lock:
            if time.monotonic() - self._checked < due:
                return
            try:
                with self.db.read() as s:
                    version = clients_repo.clients_version(s)
            except StorageUnavailable as exc:
                # Keep what is cached (the database holds no newer change it could read);
                # look again after the interval.
                log.warning("client cache: version not checked, database unavailable (%s)",
                            exc)
                self._checked = time.monotonic()
                return
            if version != self._version:
                self._entries.clear()
                self._version = version
            self._checked = time.monotonic()

    def invalidate(self, client_id: str | None = None) -> None:
        with self._lock:
            if client_id is None:
                self._entries.clear()
            else:
                self._entries.pop(client_id, None)
