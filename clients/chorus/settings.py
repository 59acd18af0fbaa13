"""Chorus's configuration: each field is read from ``CHORUS_<FIELD IN UPPER CASE>``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from clients.rp.settings import HubClientSettings
from sitekit.settings import (
    SettingError,
    check_database_url,
    check_issuer_url,
    check_numbers,
    values_from_env,
)


def _setting(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class ChorusSettings:
    base_url: str = _setting("http://127.0.0.1:8004", "Chorus's public URL, no trailing slash.")
    hub_issuer: str = _setting("http://127.0.0.1:8000", "Issuer URL of the identity hub.")
    client_id: str = _setting("chorus", "Chorus's client_id at the hub (login, introspection "
                                        "and the registration of technical users).")
    client_secret: str = _setting("", "Chorus's client secret at the hub.")
    api_audience: str = _setting(
        "chorus-api", "`aud` an access token must carry to call the invoice API.")
    api_scope: str = _setting("chorus.factures",
                              "Scope given to the technical users registered at the hub.")
    registration_scope: str = _setting(
        "registration", "Scope of Chorus's client_credentials token for the hub's "
                        "registration API (RFC 7591).")
    technical_secret_days: int = _setting(
        365, "Lifetime of a technical user's secret, in days (seed 002: one year; Chorus Pro "
             "now uses 424).")
    expiry_notice_days: str = _setting(
        "30,7", "Days before a technical user's secret expires when its main manager is "
                "e-mailed (once per threshold).")
    database_url: str = _setting("sqlite:///var/chorus.sqlite3",
                                 "SQLAlchemy URL of Chorus's database.")
    smtp_host: str = _setting("127.0.0.1", "SMTP server for the managers' e-mails.")
    smtp_port: int = _setting(25, "SMTP port.")
    mail_from: str = _setting("chorus-pro@example.test", "Sender of Chorus's e-mails.")
    mail_interval: float = _setting(5.0, "How often queued e-mails are sent, in seconds.")
    notice_interval: float = _setting(
        3600.0, "How often expiring technical users are looked for, in seconds.")
    introspection_cache_ttl: float = _setting(
        30.0, "How long an introspection answer is trusted, in seconds (revocation delay).")
    session_ttl: int = _setting(8 * 3600, "Lifetime of a Chorus session, in seconds.")
    session_cookie: str = _setting("chorus_session", "Name of Chorus's session cookie.")
    structures_page_size: int = _setting(5, "Lines per page of \"Mes structures\" (seed 002).")
    page_size: int = _setting(20, "Lines per page of the invoice lists.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any,
                 ) -> ChorusSettings:
        settings = cls(**values_from_env(cls, "CHORUS_", environ, overrides))
        settings.validate()
        return settings

    def validate(self) -> None:
        """One-line SettingError naming the variable, what is wrong and what is allowed."""
        check_issuer_url("CHORUS_BASE_URL", self.base_url)
        check_issuer_url("CHORUS_HUB_ISSUER", self.hub_issuer)
        check_database_url("CHORUS_DATABASE_URL", self.database_url)
        check_numbers("CHORUS_", self, ("mail_interval", "notice_interval",
                                        "introspection_cache_ttl"))
        try:
            days = self.notice_days
        except ValueError:
            days = ()
        if not days or any(d <= 0 for d in days):
            raise SettingError(f"CHORUS_EXPIRY_NOTICE_DAYS={self.expiry_notice_days!r}: give "
                               "positive numbers of days separated by commas, e.g. 30,7")

    @property
    def notice_days(self) -> tuple[int, ...]:
        """The thresholds, largest first."""
        return tuple(sorted((int(d) for d in self.expiry_notice_days.split(",")),
                            reverse=True))

    def replace(self, **changes: Any) -> ChorusSettings:
        return dataclasses.replace(self, **changes)

    @property
    def hub(self) -> HubClientSettings:
        return HubClientSettings(
            issuer=self.hub_issuer, client_id=self.client_id, client_secret=self.client_secret,
            base_url=self.base_url, session_cookie=self.session_cookie,
            scope="openid profile email", api_audience=self.api_audience,
            introspection_cache_ttl=self.introspection_cache_ttl, session_ttl=self.session_ttl)


def documented_settings() -> list[tuple[str, Any, str]]:
    return [("CHORUS_" + f.name.upper(), f.default, f.metadata["doc"])
            for f in dataclasses.fields(ChorusSettings)]
