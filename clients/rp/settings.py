"""What every relying application needs to know about the hub and itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HubClientSettings:
    issuer: str  # the hub's issuer URL
    client_id: str
    client_secret: str
    base_url: str  # this application's public URL, no trailing slash
    session_cookie: str  # distinct per application
    scope: str = "openid profile email"
    api_audience: str = ""  # `aud` an access token must carry to call this app's API
    introspection_cache_ttl: float = 30.0
    session_ttl: int = 8 * 3600
    http_timeout: float = 5.0

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")
