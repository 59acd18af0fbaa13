"""Every configuration key of the hub, with its default and meaning.

Each field maps to the environment variable ``IDP_<FIELD NAME IN UPPER CASE>``. The README's
settings table is tested against this module (tests/unit/test_settings.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from idp.login_names import domains_problem, parse_domains
from sitekit.settings import (  # noqa: F401  (re-exported: the hub's code imports them here)
    LOOPBACK_HOSTS,
    SettingError,
    check_database_url,
    check_issuer_url,
    check_numbers,
    convert,
    values_from_env,
)

LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("json", "text")
SIGNING_ALGS = ("ES256", "RS256")


def _setting(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class Settings:
    issuer: str = _setting(
        "http://127.0.0.1:8000", "Issuer URL: the hub's public base URL, no trailing slash."
    )
    service_name: str = _setting(
        "Identité Publique", "The hub's name on its pages and on the connect button offered "
        "to applications (\"S'identifier avec ...\")."
    )
    database_url: str = _setting(
        "sqlite:///var/idp.sqlite3",
        "SQLAlchemy URL of the database (SQLite file or postgresql+psycopg://...).",
    )
    db_connect_timeout: float = _setting(
        5.0, "Longest wait to open a database connection, in seconds (PostgreSQL counts whole "
        "seconds, at least 2)."
    )
    db_statement_timeout: float = _setting(
        5.0, "Longest run of one database statement or wait for a lock (SQLite: for the write "
        "lock), in seconds; past it the request answers 503."
    )
    db_pool_timeout: float = _setting(
        5.0, "Longest wait for a free connection of the process's pool, in seconds."
    )
    db_pool_size: int = _setting(
        10, "PostgreSQL connections each of a process's two pools keeps open between requests "
        "(a burst opens up to 20 more per pool, closed once returned)."
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
    argon2_parallelism: int = _setting(
        1, "argon2id parallelism (lanes). With 1, hashes are computed by libsodium (its "
        "AVX2/AVX-512 code, half the time here); with more, by argon2-cffi. Either verifies "
        "the other's hashes."
    )
    argon2_threads: int = _setting(
        0, "Passwords hashed at once by each process (argon2id, each in a thread of its own); "
        "0: the machine's cores, divided by the workers under `idp serve --workers`."
    )
    backchannel_logout_timeout: float = _setting(
        5.0, "Timeout of each back-channel logout POST to a client, in seconds."
    )
    fi_timeout: float = _setting(
        6.0, "Timeout of each call to an upstream identity provider (discovery, keys, token, "
        "userinfo), in seconds."
    )
    fi_metadata_ttl: int = _setting(
        3600, "How long a process keeps an upstream identity provider's discovery document "
        "and keys, in seconds (keys are fetched again at once for an unknown kid)."
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
    providers_refresh: float = _setting(
        2.0, "How often each process checks whether the upstream identity providers (FI) "
        "changed, in seconds (0: at every use)."
    )
    provider_failure_threshold: int = _setting(
        3, "Consecutive failures of an upstream identity provider after which it is shown "
        "unavailable (greyed) until a probe finds it answering."
    )
    provider_retry_after: int = _setting(
        60, "How long an unavailable upstream identity provider waits between probes of its "
        "discovery document, in seconds."
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
    recovery_max_sends_per_account: int = _setting(
        5, "Forgotten-password SMS asked for one identifier within the recovery window."
    )
    recovery_max_sends_per_phone: int = _setting(
        5, "Forgotten-password SMS sent to one mobile number within the recovery window."
    )
    recovery_max_sends_per_address: int = _setting(
        20, "Forgotten-password SMS asked from one client address within the recovery window."
    )
    recovery_send_window: int = _setting(
        3600, "Window in which forgotten-password SMS are counted, in seconds."
    )
    outbox_keep_seconds: int = _setting(
        7 * 86400, "How long a sent e-mail or SMS stays in the outbox (its text already "
        "removed at sending) before it is purged, in seconds."
    )
    event_delivery_max_age: int = _setting(
        7 * 86400, "How long the outbox keeps trying to deliver a logout token or an account "
        "event to an application that does not acknowledge it, in seconds; then it gives up "
        "(audited)."
    )
    registration_link_ttl: int = _setting(
        7 * 86400, "Lifetime of the link confirming a citizen's registration, in seconds "
        "(seed 004: one week)."
    )
    registration_pending_ttl: int = _setting(
        30 * 86400, "How long an unconfirmed registration may ask for another e-mail before it "
        "is deleted and must start over, in seconds (seed 004: one month)."
    )
    registration_answer_seconds: float = _setting(
        0.5, "The registration form's answer is never sent sooner than this after the request "
        "arrived, in seconds, whether the address is new, has an account or is blocked: its "
        "time tells nothing (decoy hashing makes the work alike, this the database's too)."
    )
    password_reset_link_ttl: int = _setting(
        3600, "Lifetime of the forgotten-password link sent by e-mail, in seconds."
    )
    address_block_days: int = _setting(
        365, "Days during which the address of a deleted account cannot open a new account "
        "(seed 004 §7: one year)."
    )
    history_shown_days: int = _setting(
        183, "Days of logins and data transfers shown in a person's history (FranceConnect: "
        "6 months)."
    )
    history_kept_days: int = _setting(
        1096, "Days the audit trail, the history's logins and data transfers included, is kept "
        "before it is purged (FranceConnect: 36 months)."
    )
    inactivity_days: int = _setting(
        1096, "Days without login after which a citizen account is warned, then deleted "
        "(décret 2009-730: 36 months)."
    )
    inactivity_notice_days: int = _setting(
        30, "Days between the inactivity warning e-mail and the deletion."
    )
    expired_password_action: str = _setting(
        "change", "At login with an expired password: 'change' (choose a new one at once) or "
        "'assistance' (told to contact the assistance desk)."
    )
    password_policies_file: str = _setting(
        "", "TOML file changing the password rules of each population (see "
        "docs/password-policies.toml); empty: the built-in rules."
    )
    content_file: str = _setting(
        "", "TOML file of the texts around the login page and of the assistance and FAQ "
        "pages: welcome, conditions of use, fraud alert, guides, contacts, questions (see "
        "docs/content.toml); empty: the demo's texts."
    )
    agent_email_domains: str = _setting(
        "", "E-mail domains of agents, comma-separated: an account whose address is in one "
        "also logs in with the part before the @ (seed 001); empty: none."
    )
    log_level: str = _setting("info", "Log level: debug, info, warning, error.")
    log_format: str = _setting(
        "", "Log format: json (one JSON object a line: ts, level, logger, event, request_id, "
        "fields) or text (a line for a terminal); empty: text when stderr is a terminal, json "
        "otherwise."
    )
    access_log: int = _setting(
        0, "1: one log line per request (logger idp.access: method, path without its query, "
        "status, duration_ms, request_id, client); 0: none."
    )
    metrics_token: str = _setting(
        "", "Bearer token Prometheus sends to read /metrics (at least 32 characters); empty: "
        "/metrics answers 404."
    )
    forwarded_allow_ips: str = _setting(
        "",
        "Addresses of the reverse proxies whose X-Forwarded-For is trusted (comma-separated); "
        "empty: none, the peer address is the client's.",
    )

    @property
    def agent_domains(self) -> frozenset[str]:
        return parse_domains(self.agent_email_domains)

    @property
    def secure_cookies(self) -> bool:
        return self.issuer.startswith("https://")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``IDP_*`` variables; keyword overrides win over the environment."""
        settings = cls(**values_from_env(cls, "IDP_", environ, overrides))
        settings.validate()
        return settings

    def validate(self) -> None:
        check_issuer_url("IDP_ISSUER", self.issuer)
        check_database_url("IDP_DATABASE_URL", self.database_url)
        if not (0 < self.code_ttl <= 60):
            raise SettingError(f"IDP_CODE_TTL={self.code_ttl}: must be between 1 and 60 "
                               "seconds (RFC 6749 §4.1.2: codes are short-lived)")
        for name, allowed in (("access_token_alg", SIGNING_ALGS),
                              ("default_id_token_alg", SIGNING_ALGS),
                              ("expired_password_action", ("change", "assistance")),
                              ("log_level", LOG_LEVELS),
                              ("log_format", ("", *LOG_FORMATS)),
                              ("access_log", (0, 1))):
            value = getattr(self, name)
            if value not in allowed:
                raise SettingError(f"IDP_{name.upper()}={value!r}: unknown value; allowed: "
                                   f"{', '.join(str(a) or '(empty)' for a in allowed)}")
        check_numbers("IDP_", self, CAN_BE_ZERO)
        if not 0 < self.smtp_port < 65536:
            raise SettingError(f"IDP_SMTP_PORT={self.smtp_port}: must be a port, 1 to 65535")
        if self.metrics_token and (len(self.metrics_token) < 32
                                   or not self.metrics_token.isascii()
                                   or not self.metrics_token.isprintable()
                                   or " " in self.metrics_token):
            raise SettingError("IDP_METRICS_TOKEN: at least 32 printable ASCII characters "
                               "without space (e.g. `openssl rand -hex 32`)")
        if problem := domains_problem(self.agent_email_domains):
            raise SettingError(f"IDP_AGENT_EMAIL_DOMAINS: {problem}")

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


# Numeric settings where 0 has a meaning (no background loop, no cache, no slow-down);
# every other one must be more than 0.
CAN_BE_ZERO = ("purge_interval", "outbox_interval", "audit_flush_interval", "client_cache_ttl",
               "login_max_delay", "providers_refresh", "access_log", "argon2_threads")


def documented_settings() -> list[tuple[str, Any, str]]:
    """(variable, default, meaning) for every setting, in declaration order."""
    return [
        ("IDP_" + f.name.upper(), f.default, f.metadata["doc"])
        for f in dataclasses.fields(Settings)
    ]
