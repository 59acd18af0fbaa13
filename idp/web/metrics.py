"""`/metrics` (Prometheus text format) and the per-request observation behind it (issue 15).

The endpoint is not public: it answers 404 unless IDP_METRICS_TOKEN is set, then 401 to any
request without `Authorization: Bearer <that token>` (compared in constant time). Prometheus
sends it with `authorization: {credentials_file: ...}` in its scrape configuration.

What a scrape reads besides the counters: the outbox backlog (one bounded count, cached for
BACKLOG_CACHE_SECONDS so frequent scrapes stay cheap) and this process's database pool.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Scope

from idp import metrics
from idp.storage.repositories import outbox as outbox_repo
from idp.web.hub import hub_of
from sitekit.storage.errors import StorageUnavailable

if TYPE_CHECKING:
    from idp.runtime import Runtime

log = logging.getLogger("idp.web")

BACKLOG_CACHE_SECONDS = 5.0
POOL_SAMPLE_SECONDS = 1.0
# The bare ASGI endpoints (protocol_asgi.py) answer before Starlette's router.
BARE_ROUTES = frozenset({"/token", "/introspect", "/revoke"})


class RequestMetrics:
    """The observer of sitekit's request layer: one histogram observation per request, by
    route template; the pool gauges sampled at most once a second."""

    def __init__(self, rt: Runtime, routes: list[BaseRoute]) -> None:
        self.rt = rt
        # Routes with parameters: their endpoint → template (the others' path is their own).
        self.templates: dict[int, str] = {}
        for route in routes:
            endpoint = getattr(route, "endpoint", None)
            if endpoint is not None and getattr(route, "param_convertors", None):
                self.templates[id(endpoint)] = route.path_format  # type: ignore[attr-defined]  # a Route's
        self._next_pool_sample = 0.0
        # Each label set's child, looked up once (prometheus_client's labels() costs more
        # than the observation); as bounded as the labels themselves.
        self._children: dict[tuple[str, str, int], Any] = {}

    def __call__(self, scope: Scope, status: int, seconds: float) -> None:
        key = (self.route_of(scope), scope["method"], status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metrics.HTTP_REQUESTS.labels(
                key[0], key[1], str(status))
        child.observe(seconds)
        now = time.monotonic()
        if now >= self._next_pool_sample:
            self._next_pool_sample = now + POOL_SAMPLE_SECONDS
            metrics.pool(*self.rt.db.pool_status())

    def route_of(self, scope: Scope) -> str:
        path: str = scope["path"]
        if path in BARE_ROUTES:
            return path
        # A Mount (the static files) extends the root path: its template, whatever the file
        # asked (a missing one included).
        root, app_root = scope.get("root_path", ""), scope.get("app_root_path", "")
        if len(root) > len(app_root):
            return f"{root[len(app_root):]}/{{path}}"
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return "unmatched"
        if scope.get("path_params"):
            return self.templates.get(id(endpoint), "unmatched")
        return path


class OutboxBacklog(Collector):
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._cached: tuple[float, dict[str, int]] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("idp_outbox_backlog",
                                   "Messages waiting in the outbox (e-mail, SMS, logout and "
                                   "account events), by channel", labels=["channel"])
        for channel, count in sorted(self._backlog().items()):
            family.add_metric([channel], count)
        yield family

    def _backlog(self) -> dict[str, int]:
        now = time.monotonic()
        if self._cached is not None and now - self._cached[0] < BACKLOG_CACHE_SECONDS:
            return self._cached[1]
        try:
            with self.rt.db.read() as s:
                counts = outbox_repo.backlog(s)
        except StorageUnavailable as exc:
            log.warning("metrics: outbox backlog not read: %s", exc)
            counts = {}
        self._cached = (now, counts)
        return counts


def exposition(rt: Runtime, backlog: OutboxBacklog) -> bytes:
    metrics.pool(*rt.db.pool_status())
    if metrics.MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped
        shared = generate_latest(registry)
    else:
        shared = generate_latest(REGISTRY)
    own = CollectorRegistry(auto_describe=False)
    own.register(backlog)
    return shared + generate_latest(own)


def authorized(expected: str, authorization: str) -> bool:
    scheme, _, value = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), expected.encode())


def endpoint(expected: str, backlog: OutboxBacklog) -> Any:
    """The handler of /metrics for the token `expected` (IDP_METRICS_TOKEN)."""
    async def metrics_page(request: Request) -> Response:
        hub = hub_of(request)
        if not expected:
            return Response("Not Found", status_code=404, media_type="text/plain")
        if not authorized(expected, request.headers.get("authorization", "")):
            return Response("Unauthorized", status_code=401, media_type="text/plain",
                            headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        body = await hub.rt.blocking(exposition, hub.rt, backlog)
        # The classic text format (version 0.0.4), which every Prometheus server reads.
        return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4,
                        headers={"Cache-Control": "no-store"})
    return metrics_page
