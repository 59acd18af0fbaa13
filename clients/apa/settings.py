"""APA's configuration: each field is read from ``APA_<FIELD IN UPPER CASE>``."""

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
class ApaSettings:
    base_url: str = _setting("http://127.0.0.1:8001", "APA's public URL, no trailing slash.")
    hub_issuer: str = _setting("http://127.0.0.1:8000", "Issuer URL of the identity hub.")
    client_id: str = _setting("apa", "APA's client_id at the hub.")
    client_secret: str = _setting("", "APA's client secret at the hub.")
    api_audience: str = _setting(
        "apa-api", "`aud` an access token must carry to call APA's API.")
    database_url: str = _setting("sqlite:///var/apa.sqlite3", "SQLAlchemy URL of APA's database.")
    files_dir: str = _setting("var/apa-files", "Folder of deposited and response files.")
    max_upload_bytes: int = _setting(5 * 1024 * 1024, "Largest call file accepted, in bytes.")
    response_days: int = _setting(21, "Days a response file stays available for withdrawal.")
    history_days: int = _setting(365, "Days deposits and withdrawals stay in the histories.")
    processing_interval: float = _setting(
        1.0, "How often waiting deposits are processed, in seconds.")
    purge_interval: float = _setting(
        3600.0, "How often expired files and old history entries are deleted, in seconds.")
    processor: str = _setting(
        "clients.apa.processor:respond",
        "Module:function that turns a call file into its response file (replaceable).")
    technical_clients: str = _setting(
        "", "Technical clients of the hub linked to a SIRET: 'client_id=SIRET,...' (API).")
    introspection_cache_ttl: float = _setting(
        30.0, "How long an introspection answer is trusted, in seconds (revocation delay).")
    session_ttl: int = _setting(8 * 3600, "Lifetime of an APA session, in seconds.")
    session_cookie: str = _setting("apa_session", "Name of APA's session cookie.")
    page_size: int = _setting(20, "Rows per page of the lists.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any,
                 ) -> ApaSettings:
        settings = cls(**values_from_env(cls, "APA_", environ, overrides))
        settings.validate()
        return settings

    def validate(self) -> None:
        """One-line SettingError naming the variable, what is wrong and what is allowed."""
        check_issuer_url("APA_BASE_URL", self.base_url)
        check_issuer_url("APA_HUB_ISSUER", self.hub_issuer)
        check_database_url("APA_DATABASE_URL", self.database_url)
        # 0: no background loop, no introspection cache.
        check_numbers("APA_", self, ("processing_interval", "purge_interval",
                                     "introspection_cache_ttl"))
        if ":" not in self.processor:
            raise SettingError(f"APA_PROCESSOR={self.processor!r}: give module:function")

    def replace(self, **changes: Any) -> ApaSettings:
        return dataclasses.replace(self, **changes)

    @property
    def hub(self) -> HubClientSettings:
        return HubClientSettings(
            issuer=self.hub_issuer, client_id=self.client_id, client_secret=self.client_secret,
            base_url=self.base_url, session_cookie=self.session_cookie,
            scope="openid profile email siret", api_audience=self.api_audience,
            introspection_cache_ttl=self.introspection_cache_ttl, session_ttl=self.session_ttl)

    @property
    def sirets_of_clients(self) -> dict[str, str]:
        pairs = [p.split("=", 1) for p in self.technical_clients.split(",") if "=" in p]
        return {client.strip(): siret.strip() for client, siret in pairs}


def documented_settings() -> list[tuple[str, Any, str]]:
    return [("APA_" + f.name.upper(), f.default, f.metadata["doc"])
            for f in dataclasses.fields(ApaSettings)]
