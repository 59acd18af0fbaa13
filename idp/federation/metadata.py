"""An FI's metadata (OpenID Connect Discovery 1.0, or endpoints configured one by one) and its
key set, cached per FI: fetched once per `ttl`, never per login. The key set is fetched again
when a token names an unknown `kid` (the FI rotated its keys), at most once per
`KID_REFETCH_INTERVAL` per FI so forged `kid`s cannot make the hub hammer the FI."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey

from idp.clock import Clock
from idp.federation.errors import IssuerMismatch, ProviderBadAnswer
from idp.federation.providers import Provider
from idp.federation.transport import Transport

KID_REFETCH_INTERVAL = 10  # seconds
WELL_KNOWN = "/.well-known/openid-configuration"

AsymmetricKey = RSAKey | ECKey | OKPKey


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None
    # RFC 9207 §3: the FI promises `iss` in every authorization response.
    iss_parameter_supported: bool
    token_endpoint_auth_signing_algs: tuple[str, ...]


@dataclass(frozen=True)
class _Cached:
    key: tuple[str | None, ...]  # the provider's settings this entry was built from
    fetched_at: int
    value: Any


def _config_key(provider: Provider) -> tuple[str | None, ...]:
    return (provider.discovery_url, provider.issuer, provider.authorization_endpoint,
            provider.token_endpoint, provider.userinfo_endpoint, provider.jwks_uri,
            provider.end_session_endpoint)


def _text(document: dict[str, Any], name: str) -> str | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ProviderBadAnswer(f"discovery: {name} is not a string")
    return value


def _texts(document: dict[str, Any], name: str) -> tuple[str, ...]:
    value = document.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProviderBadAnswer(f"discovery: {name} is not a list of strings")
    return tuple(value)


class MetadataCache:
    def __init__(self, transport: Transport, clock: Clock, ttl: int) -> None:
        self._transport = transport
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.Lock()
        self._metadata: dict[str, _Cached] = {}
        self._keys: dict[str, _Cached] = {}
        self._last_kid_refetch: dict[str, int] = {}
        # One fetch at a time per FI and document: logins arriving together on an empty or
        # expired cache wait for that fetch instead of each fetching (bench/federated_login.py).
        self._fetching: dict[tuple[str, str], threading.Lock] = {}

    # Metadata -------------------------------------------------------------------------------

    def metadata(self, provider: Provider) -> ProviderMetadata:
        cached = self._fresh(self._metadata, provider.id, _config_key(provider))
        if cached is not None:
            return cached  # type: ignore[no-any-return]  # entries of this dict are metadata
        with self._single_flight("metadata", provider.id):
            cached = self._fresh(self._metadata, provider.id, _config_key(provider))
            if cached is not None:  # fetched by another login meanwhile
                return cached  # type: ignore[no-any-return]  # entries of this dict are metadata
            metadata = self._resolve(provider)
            self._store(self._metadata, provider.id, _config_key(provider), metadata)
            return metadata

    def _resolve(self, provider: Provider) -> ProviderMetadata:
        document: dict[str, Any] = {}
        if provider.discovery_url:
            document = self._transport.get(provider.discovery_url, "discovery",
                                           fi=provider.id).json_object(
                "discovery")
            discovered = _text(document, "issuer")
            if discovered is None:
                raise ProviderBadAnswer("discovery: issuer missing")
            # OpenID Connect Discovery 1.0 §4.3: the issuer returned MUST be identical to the
            # one configured, and to the prefix of the well-known URL it was fetched from.
            if provider.issuer is not None and discovered != provider.issuer:
                raise IssuerMismatch("discovery issuer is not the configured issuer",
                                     counts_as_failure=True)
            if (provider.discovery_url.endswith(WELL_KNOWN)
                    and discovered.rstrip("/") != provider.discovery_url[:-len(WELL_KNOWN)]):
                raise IssuerMismatch("discovery issuer is not the discovery URL's prefix",
                                     counts_as_failure=True)

        def pick(configured: str | None, name: str) -> str | None:
            # An endpoint configured in the registry wins over the discovered one.
            return configured if configured else _text(document, name)

        issuer = provider.issuer or _text(document, "issuer")
        authorization = pick(provider.authorization_endpoint, "authorization_endpoint")
        token = pick(provider.token_endpoint, "token_endpoint")
        jwks_uri = pick(provider.jwks_uri, "jwks_uri")
        missing = [name for name, value in (("issuer", issuer), ("authorization_endpoint",
                   authorization), ("token_endpoint", token), ("jwks_uri", jwks_uri))
                   if value is None]
        if missing or issuer is None or authorization is None or token is None \
                or jwks_uri is None:
            raise ProviderBadAnswer(f"metadata: {', '.join(missing)} missing")
        return ProviderMetadata(
            issuer=issuer,
            authorization_endpoint=authorization,
            token_endpoint=token,
            jwks_uri=jwks_uri,
            userinfo_endpoint=pick(provider.userinfo_endpoint, "userinfo_endpoint"),
            end_session_endpoint=pick(provider.end_session_endpoint, "end_session_endpoint"),
            iss_parameter_supported=document.get(
                "authorization_response_iss_parameter_supported") is True,
            token_endpoint_auth_signing_algs=_texts(
                document, "token_endpoint_auth_signing_alg_values_supported"),
        )

    # Keys -----------------------------------------------------------------------------------

    def key_set(self, provider: Provider, metadata: ProviderMetadata) -> list[AsymmetricKey]:
        cache_key = (*_config_key(provider), metadata.jwks_uri)
        cached = self._fresh(self._keys, provider.id, cache_key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]  # entries of this dict are key lists
        with self._single_flight("keys", provider.id):
            cached = self._fresh(self._keys, provider.id, cache_key)
            if cached is not None:  # fetched by another login meanwhile
                return cached  # type: ignore[no-any-return]  # entries of this dict are key lists
            return self._fetch_keys(provider, metadata)

    def refetch_for_unknown_kid(self, provider: Provider,
                                metadata: ProviderMetadata) -> list[AsymmetricKey] | None:
        """The key set fetched again, or None when the last such refetch for this FI was less
        than KID_REFETCH_INTERVAL seconds ago."""
        now = self._clock.now()
        with self._lock:
            last = self._last_kid_refetch.get(provider.id)
            if last is not None and now - last < KID_REFETCH_INTERVAL:
                return None
            self._last_kid_refetch[provider.id] = now
        return self._fetch_keys(provider, metadata)

    def _fetch_keys(self, provider: Provider, metadata: ProviderMetadata) -> list[AsymmetricKey]:
        document = self._transport.get(metadata.jwks_uri, "jwks",
                                       fi=provider.id).json_object("jwks")
        keys = parse_key_set(document)
        self._store(self._keys, provider.id, (*_config_key(provider), metadata.jwks_uri), keys)
        return keys

    # Cache ----------------------------------------------------------------------------------

    def _single_flight(self, document: str, provider_id: str) -> threading.Lock:
        with self._lock:
            return self._fetching.setdefault((document, provider_id), threading.Lock())

    def _fresh(self, table: dict[str, _Cached], provider_id: str,
               key: tuple[str | None, ...]) -> Any:
        with self._lock:
            entry = table.get(provider_id)
        if entry is None or entry.key != key or self._clock.now() - entry.fetched_at >= self._ttl:
            return None
        return entry.value

    def _store(self, table: dict[str, _Cached], provider_id: str, key: tuple[str | None, ...],
               value: Any) -> None:
        with self._lock:
            table[provider_id] = _Cached(key, self._clock.now(), value)


def parse_key_set(document: dict[str, Any]) -> list[AsymmetricKey]:
    """The signature keys of a JWK Set (RFC 7517 §5): symmetric keys (`oct`) and keys marked
    for encryption (`use: enc`) are left out; a key joserfc cannot read makes the set bad."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise ProviderBadAnswer("jwks: keys is not a list")
    keys: list[AsymmetricKey] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ProviderBadAnswer("jwks: a key is not an object")
        if entry.get("kty") not in ("RSA", "EC", "OKP") or entry.get("use", "sig") != "sig":
            continue
        # Public members only: a private part published by mistake is not ours to hold.
        public = {k: v for k, v in entry.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}
        try:
            key = KeySet.import_key_set({"keys": [public]}).keys[0]
        except (JoseError, ValueError, TypeError, KeyError):
            raise ProviderBadAnswer("jwks: a key cannot be read") from None
        assert isinstance(key, RSAKey | ECKey | OKPKey)
        keys.append(key)
    return keys
