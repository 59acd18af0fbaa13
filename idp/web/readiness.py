"""`/readyz`: whether this process can serve requests now (issue 15, and the reliability
issue before it). A load balancer stops sending traffic while it answers 503, with the
reason in JSON:

- the database answers a trivial query within the timeouts (every probe);
- the signing keys are loaded (the keys folder's manifest is there, a current key of each
  algorithm: every probe, one stat);
- the database is at the migrations this code expects (checked at most every
  MIGRATIONS_CHECK_SECONDS, so frequent probes stay cheap). A process started before
  `idp db upgrade` of a newer release, or a database restored from an old backup, is
  not ready.

`/healthz` stays liveness (protocol.py): it never touches the database or the keys.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp.storage.migrate import applied_revisions, head_revisions
from idp.web.errors import RETRY_AFTER
from idp.web.hub import Hub, hub_of
from sitekit.storage.errors import StorageUnavailable

MIGRATIONS_CHECK_SECONDS = 5.0


class Readiness:
    def __init__(self) -> None:
        self._migrations_checked = float("-inf")
        self._migrations_problem: str | None = None

    def problem(self, hub: Hub) -> dict[str, str] | None:
        """What is wrong, as {part: reason}; None when ready. Blocking (database)."""
        rt = hub.rt
        if not rt.db.is_ready():
            return {"database": "unreachable"}
        if (keys := rt.keys.problem()) is not None:
            return {"keys": keys}
        now = time.monotonic()
        if now - self._migrations_checked >= MIGRATIONS_CHECK_SECONDS:
            self._migrations_problem = self._check_migrations(hub)
            self._migrations_checked = now
        if self._migrations_problem is not None:
            return {"migrations": self._migrations_problem}
        return None

    @staticmethod
    def _check_migrations(hub: Hub) -> str | None:
        with hub.rt.db.read() as s:
            applied = applied_revisions(s)
        expected = head_revisions()
        if applied == expected:
            return None
        at = ", ".join(sorted(applied)) or "none"
        return (f"database at revision {at}, this release expects "
                f"{', '.join(sorted(expected))} (run: idp db upgrade)")

    async def endpoint(self, request: Request) -> Response:
        hub = hub_of(request)
        try:
            problem: Any = await hub.rt.blocking(self.problem, hub)
        except StorageUnavailable:  # the database went away between the checks
            problem = {"database": "unreachable"}
        if problem is None:
            return JSONResponse({"status": "ready"}, headers={"Cache-Control": "no-store"})
        return JSONResponse({"status": "unavailable", **problem}, status_code=503,
                            headers={"Retry-After": RETRY_AFTER, "Cache-Control": "no-store"})
