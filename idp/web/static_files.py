"""The static files other sites load from the hub: the connect button's stylesheet (and any
image beside it), served cross-origin and cached, unlike the hub's own static files."""

from __future__ import annotations

import os

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# A week: the path is stable (applications link to it), so a change reaches them within a
# week, or at once for those that revalidate (ETag and Last-Modified are sent).
SHARED_MAX_AGE = 7 * 86400


class SharedStaticFiles(StaticFiles):
    """StaticFiles with ``Access-Control-Allow-Origin: *`` (any application's page may load
    them, and read them from scripts) and a long public cache, in place of the no-store
    the security headers give every other answer (the header set here is kept)."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result,
                      scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Cache-Control"] = f"public, max-age={SHARED_MAX_AGE}"
        response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        return response
