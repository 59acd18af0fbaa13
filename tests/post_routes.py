"""Every route of an ASGI app that accepts a POST, read from the app itself, so a route added
later (by a list, a loop or a factory such as contact.change_submit("mobile")) is found
without touching the tests: the bare protocol layers that answer before Starlette (a `routes`
dict of path → handler) and Starlette's routes, mounts included."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Host, Mount, Route, Router
from starlette.staticfiles import StaticFiles


@dataclass(frozen=True)
class PostRoute:
    path: str
    endpoint: object


def post_routes(app: object) -> list[PostRoute]:
    found: list[PostRoute] = []
    layer = app
    while not isinstance(layer, Starlette | Router):
        for path, handler in getattr(layer, "routes", {}).items():
            found.append(PostRoute(path, handler))
        layer = layer.app  # type: ignore[attr-defined]  # a middleware wraps the next layer
    found.extend(_walk(layer.routes, ""))
    return found


def _walk(routes: Iterable[BaseRoute], prefix: str) -> list[PostRoute]:
    found: list[PostRoute] = []
    for route in routes:
        if isinstance(route, Route):
            # No methods: an endpoint class answering whatever it defines; count it.
            if route.methods is None or "POST" in route.methods:
                found.append(PostRoute(prefix + route.path, route.endpoint))
        elif isinstance(route, Mount | Host):
            if isinstance(route.app, StaticFiles):
                continue  # GET and HEAD only
            inner = getattr(route.app, "routes", None)
            if inner is None:  # an opaque ASGI app: it may take POSTs
                found.append(PostRoute(prefix + getattr(route, "path", "") + "/{path}",
                                       route.app))
            else:
                found.extend(_walk(inner, prefix + getattr(route, "path", "")))
    return found


def unguarded(routes: list[PostRoute], marker: str, exempt: dict[str, str]) -> list[str]:
    """Paths of POST routes whose endpoint the form guard did not build (it sets `marker`)
    and that are not exempt; then exemptions that match no unguarded POST route (stale)."""
    bare = {r.path for r in routes if not getattr(r.endpoint, marker, False)}
    missing = sorted(bare - set(exempt))
    stale = sorted(f"exempt but no unguarded POST route: {path}" for path in set(exempt) - bare)
    return missing + stale
