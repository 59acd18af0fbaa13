"""Every configuration key of the hub, with its default and meaning.

Each field maps to the environment variable ``IDP_<FIELD NAME IN UPPER CASE>``. The README's
settings table is tested against this module (tests/unit/test_settings.py).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from authlib.common.security import is_secure_transport


def _setting(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class Settings:
    issuer: str = _setting(
        "http://127.0.0.1:8000", "Issuer URL: the hub's public base URL, no trailing slash."
    )
    database_url: str = _setting(
        "sqlite:///var/idp.sqlite3",
        "SQLAlchemy URL of the database (SQLite file or postgresql+psycopg://...).",
    )
    keys_dir: str = _setting(
        "keys", "Folder holding the signing keys (created on first run, private files 0600)."
    )
    code_ttl: int = _setting(60, "Lifetime of an authorization code, in seconds (at most 60).")
    access_token_ttl: int = _setting(600, "Lifetime of an access token (JWT), in seconds.")
    id_token_ttl: int = _setting(600, "Lifetime of an ID token, in seconds.")
    refresh_token_ttl: int = _setting(
        30 * 86400, "Lifetime of a refresh token family from its first issue, in seconds."
    )
    session_ttl: int = _setting(
        8 * 3600, "Lifetime of a browser session at the hub, in seconds."
    )
    session_cookie: str = _setting("idp_session", "Name of the hub's browser-session cookie.")
    access_token_alg: str = _setting(
        "ES256", "Signing algorithm of access tokens and logout tokens: ES256 or RS256."
    )
    default_id_token_alg: str = _setting(
        "RS256", "ID token algorithm for clients that registered none (RS256 or ES256)."
    )
    key_retire_after: int = _setting(
        86400,
        "After a rotation, how long the old public key stays published, in seconds "
        "(at least the longest token lifetime).",
    )
    client_cache_ttl: float = _setting(
        2.0, "How long a process trusts its cached copy of a client, in seconds."
    )
    argon2_memory_kib: int = _setting(19456, "argon2id memory cost in KiB (OWASP minimum).")
    argon2_time_cost: int = _setting(2, "argon2id iterations.")
    argon2_parallelism: int = _setting(1, "argon2id parallelism.")
    backchannel_logout_timeout: float = _setting(
        5.0, "Timeout of each back-channel logout POST to a client, in seconds."
    )
    audit_flush_interval: float = _setting(
        0.5, "How often buffered audit events are written to the database, in seconds."
    )
    audit_buffer_max: int = _setting(
        10000, "Most audit events a process keeps in memory while they cannot be written "
        "(beyond, new ones are dropped and counted)."
    )
    acr_default: str = _setting(
        "eidas1", "acr value of a password login (the eIDAS 'low' level, as FranceConnect)."
    )
    purge_interval: float = _setting(
        600.0, "How often each process deletes expired codes, sessions and tokens, in seconds "
        "(0: never)."
    )
    threads: int = _setting(
        16, "Threads per process for database work and password hashing (keep at most the "
        "database pool size, 30)."
    )
    smtp_host: str = _setting("127.0.0.1", "SMTP server that relays the hub's e-mails.")
    smtp_port: int = _setting(25, "Port of the SMTP server.")
    mail_from: str = _setting(
        "Identité Publique <ne-pas-repondre@identite.example>", "Sender of the hub's e-mails."
    )
    sms_sink_file: str = _setting(
        "var/sms.jsonl", "Where the demo SMS gateway writes each SMS (one JSON line each)."
    )
    outbox_interval: float = _setting(
        1.0, "How often each process delivers due e-mails and SMS from the outbox, in seconds."
    )
    login_max_failures: int = _setting(
        5, "Failed logins of one identifier before it is locked (slowed down before that)."
    )
    address_max_failures: int = _setting(
        50, "Failed logins from one address before that address is locked."
    )
    login_failure_window: int = _setting(900, "Window in which failed logins are counted (s).")
    login_lock_seconds: int = _setting(900, "How long a lock after too many failures lasts (s).")
    login_max_delay: float = _setting(
        3.0, "Longest slow-down of the answer to a failed login, in seconds (doubles per failure)."
    )
    expired_password_action: str = _setting(
        "change", "At login with an expired password: 'change' (choose a new one at once) or "
        "'assistance' (told to contact the assistance desk)."
    )
    password_policies_file: str = _setting(
        "", "TOML file changing the password rules of each population (see "
        "docs/password-policies.toml); empty: the built-in rules."
    )
    log_level: str = _setting("info", "Log level: debug, info, warning, error.")
    forwarded_allow_ips: str = _setting(
        "",
        "Addresses of the reverse proxies whose X-Forwarded-For is trusted (comma-separated); "
        "empty: none, the peer address is the client's.",
    )

    @property
    def secure_cookies(self) -> bool:
        return self.issuer.startswith("https://")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``IDP_*`` variables; keyword overrides win over the environment."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get("IDP_" + f.name.upper())
            if raw is not None:
                values[f.name] = _convert(f.type, raw, f.name)
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.issuer.endswith("/"):
            raise ValueError("IDP_ISSUER must not end with '/'")
        if not is_secure_transport(self.issuer):
            # RFC 6749 §3.1: TLS is required; plain http only on loopback (RFC 8252 §7.3).
            raise ValueError("IDP_ISSUER must be https (plain http only on loopback)")
        if not (0 < self.code_ttl <= 60):
            raise ValueError("IDP_CODE_TTL must be between 1 and 60 seconds")
        if self.access_token_alg not in ("ES256", "RS256"):
            raise ValueError("IDP_ACCESS_TOKEN_ALG must be ES256 or RS256")
        if self.expired_password_action not in ("change", "assistance"):
            raise ValueError("IDP_EXPIRED_PASSWORD_ACTION must be change or assistance")
        if self.default_id_token_alg not in ("ES256", "RS256"):
            raise ValueError("IDP_DEFAULT_ID_TOKEN_ALG must be ES256 or RS256")

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _convert(type_name: Any, raw: str, name: str) -> Any:
    kind = type_name if isinstance(type_name, str) else type_name.__name__
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            return raw.strip().lower() in ("1", "true", "yes", "on")
    except ValueError as exc:
        raise ValueError(f"IDP_{name.upper()}: {raw!r} is not a valid {kind}") from exc
    return raw


def documented_settings() -> list[tuple[str, Any, str]]:
    """(variable, default, meaning) for every setting, in declaration order."""
    return [
        ("IDP_" + f.name.upper(), f.default, f.metadata["doc"])
        for f in dataclasses.fields(Settings)
    ]
