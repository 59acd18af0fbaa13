"""Chorus as a client of the hub's registration API (RFC 7591, management RFC 7592): it
registers, renews and deletes its technical users with a client_credentials token of scope
`registration`. The secrets it gets back are handed to the page once and never stored."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from clients.chorus.settings import ChorusSettings


class RegistrationError(Exception):
    """The hub refused or could not be reached; `description` is safe to show an operator."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description


class HubRegistration:
    """Synchronous (call it from a worker thread)."""

    def __init__(self, settings: ChorusSettings, timeout: float = 10.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self.endpoint = f"{settings.hub_issuer}/register"
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def register(self, client_name: str, expires_at: int) -> dict[str, Any]:
        """201: client_id, client_secret, client_secret_expires_at, registration_client_uri."""
        return self._call("POST", self.endpoint, 201, json={
            "client_name": client_name, "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "client_secret_basic",
            "scope": self.settings.api_scope, "audience": [self.settings.api_audience],
            "client_secret_expires_at": expires_at})

    def new_secret(self, client_id: str, expires_at: int) -> dict[str, Any]:
        """client_secret, client_secret_expires_at; the old secret is refused at once."""
        return self._call("POST", f"{self.endpoint}/{client_id}/secret", 200,
                          json={"client_secret_expires_at": expires_at})

    def delete(self, client_id: str) -> None:
        self._call("DELETE", f"{self.endpoint}/{client_id}", 204)

    def _call(self, method: str, url: str, expected: int, **kw: Any) -> dict[str, Any]:
        for attempt in (1, 2):
            try:
                response = httpx.request(method, url, timeout=self.timeout, headers={
                    "Authorization": f"Bearer {self._access_token()}"}, **kw)
            except httpx.HTTPError as exc:
                raise RegistrationError(503, "unreachable", "The hub cannot be reached.") from exc
            if response.status_code == 401 and attempt == 1:
                self._token = None  # expired or revoked: one new token, once
                continue
            break
        if response.status_code not in (expected, 200, 201, 204):
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise RegistrationError(response.status_code, str(body.get("error", "refused")),
                                    str(body.get("error_description", ""))[:300])
        if response.status_code == 204 or not response.content:
            return {}
        answer: dict[str, Any] = response.json()
        return answer

    def _access_token(self) -> str:
        with self._lock:
            if self._token is not None and self._token[1] > time.monotonic():
                return self._token[0]
            try:
                response = httpx.post(
                    f"{self.settings.hub_issuer}/token", timeout=self.timeout,
                    data={"grant_type": "client_credentials",
                          "scope": self.settings.registration_scope},
                    auth=(self.settings.client_id, self.settings.client_secret))
            except httpx.HTTPError as exc:
                raise RegistrationError(503, "unreachable", "The hub cannot be reached.") from exc
            if response.status_code != 200:
                raise RegistrationError(response.status_code, "token_refused",
                                        "The hub refused Chorus's registration token.")
            body = response.json()
            lifetime = max(0, int(body.get("expires_in", 60)) - 15)
            self._token = (str(body["access_token"]), time.monotonic() + lifetime)
            return self._token[0]
