"""The hub's Prometheus metrics (issue 15), with prometheus_client, the official client.

Several uvicorn workers (`idp serve --workers N`) share one listening socket, so a scrape
reaches any one of them: `idp serve` then runs prometheus_client's multiprocess mode (each
process writes its values to memory-mapped files in PROMETHEUS_MULTIPROC_DIR, a fresh
folder of its own unless the operator gives one, and the process answering a scrape sums
them all). One process: ordinary in-memory values.

Labels are bounded: a route is its template (never the raw path), a 404 outside every route
is `unmatched`; audit events, outcomes and grant types are names chosen in code; FIs are the
operator's registered ids.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, multiprocess

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

HTTP_REQUESTS = Histogram(
    "idp_http_request_duration_seconds",
    "HTTP requests by route template, method and status: count and duration",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
AUDIT_EVENTS = Counter("idp_audit_events_total", "Audit events recorded, by event", ["event"])
LOGINS = Counter("idp_logins_total", "Login attempts by outcome (password, code, FI)",
                 ["outcome"])
TOKENS_ISSUED = Counter("idp_tokens_issued_total", "Tokens issued at /token, by grant type",
                        ["grant_type"])
FI_CALLS = Counter("idp_fi_calls_total", "HTTP calls to upstream identity providers",
                   ["fi", "call"])
FI_FAILURES = Counter("idp_fi_call_failures_total",
                      "Failed calls to upstream identity providers (timeout, network, "
                      "5xx, unusable answer)", ["fi", "call"])
DB_POOL_CHECKED_OUT = Gauge("idp_db_pool_checked_out",
                            "Database connections in use (sum over live processes)",
                            multiprocess_mode="livesum")
DB_POOL_SIZE = Gauge("idp_db_pool_size", "Database pool size (sum over live processes)",
                     multiprocess_mode="livesum")

# Outcomes of the login events (idp/accounts/authentication.py, the login pages).
LOGIN_OUTCOMES = {
    "login.success": "success", "login.failure": "failure", "login.locked": "locked",
    "login.second_factor": "second_factor_passed",
    "login.second_factor_failure": "second_factor_failure",
    "login.awaiting_confirmation": "awaiting_confirmation",
    "login.password_expired": "password_expired",
}
GRANT_TYPES = frozenset({"authorization_code", "refresh_token", "client_credentials",
                         "urn:ietf:params:oauth:grant-type:jwt-bearer"})


# Each label set's child, looked up once: labels() costs more than inc(). Bounded as the
# labels are (names chosen in code).
_children: dict[tuple[int, str], Any] = {}


def _child(metric: Counter, label: str) -> Any:
    key = (id(metric), label)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(label)
    return child


def audit_event(row: dict[str, Any], detail: dict[str, Any]) -> None:
    """Count an audit event (its cleaned row; `detail` as the caller gave it)."""
    event = row["event"]
    _child(AUDIT_EVENTS, event).inc()
    if (outcome := LOGIN_OUTCOMES.get(event)) is not None:
        _child(LOGINS, outcome).inc()
    elif event == "token.issued":
        grant = detail.get("grant_type")
        _child(TOKENS_ISSUED, grant if grant in GRANT_TYPES else "other").inc()


def fi_call(fi: str, call: str, failed: bool) -> None:
    FI_CALLS.labels(fi, call).inc()
    if failed:
        FI_FAILURES.labels(fi, call).inc()


def pool(checked_out: int, size: int) -> None:
    DB_POOL_CHECKED_OUT.set(checked_out)
    DB_POOL_SIZE.set(size)


def prepare_multiprocess() -> str:
    """Before starting several workers: the folder of their metric files, emptied of a
    previous run's (the operator's PROMETHEUS_MULTIPROC_DIR, else a new temporary folder
    removed at exit). The workers, started afterwards, inherit the variable."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        for stale in Path(folder).glob("*.db"):
            stale.unlink()
    else:
        folder = tempfile.mkdtemp(prefix="idp-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def process_exit() -> None:
    """A worker stopping: its live gauges (the pool) no longer count."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]  # untyped
