"""Arrange directly (no HTTP): clients, accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyotp

from idp import admin
from idp.accounts import second_factor
from idp.runtime import Runtime
from idp.storage.repositories import accounts as accounts_repo

PASSWORD = "Motdepasse-2026!"
REDIRECT_URI = "http://127.0.0.1:9000/callback"
POST_LOGOUT_URI = "http://127.0.0.1:9000/bye"


@dataclass
class MadeClient:
    client_id: str
    secret: str | None
    redirect_uri: str


class Factories:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._n = 0

    def client(self, client_id: str | None = None, **options: Any) -> MadeClient:
        self._n += 1
        client_id = client_id or f"client{self._n}"
        options.setdefault("redirect_uris", [REDIRECT_URI])
        options.setdefault("post_logout_redirect_uris", [POST_LOGOUT_URI])
        options.setdefault("scope", "openid profile email phone siret offline_access")
        new = admin.add_client(self.rt.db, self.rt.clock.now(), client_id=client_id, **options)
        self.rt.clients.invalidate()
        return MadeClient(client_id, new.secret, options["redirect_uris"][0]
                          if options["redirect_uris"] else "")

    def account(self, username: str | None = None, **options: Any) -> dict:
        self._n += 1
        options.setdefault("password", PASSWORD)
        options.setdefault("given_name", "Camille")
        options.setdefault("family_name", "Bernard")
        options.setdefault("email", f"user{self._n}@example.test")
        # A mobile number, so logins are not interrupted by the reminder to add one.
        options.setdefault("phone", "+33600000001")
        return admin.add_user(self.rt.db, self.rt.passwords, self.rt.clock.now(),
                              username=username or f"user{self._n}", **options)

    def authenticator(self, account: dict) -> tuple[str, list[str]]:
        """Enrol an authenticator app for `account`; (TOTP seed, recovery codes). The code of
        the current 30-second step is spent by the enrolment."""
        enrolment = second_factor.new_enrolment()
        code = pyotp.TOTP(enrolment.secret).at(self.rt.clock.now())
        with self.rt.db.read() as s:
            account_id = accounts_repo.find_by_login(s, account["username"]).id
        codes = second_factor.enrol(self.rt, account_id, enrolment, code)
        assert codes is not None
        return enrolment.secret, codes
