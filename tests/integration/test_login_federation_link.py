"""The login page's link to the picker ("S'identifier avec un fournisseur d'identité"):
shown only when the picker would show at least one FI for this request, and carrying the
pending request's rid. The providers are registered before the first page: the registry
reads them on first use."""

from __future__ import annotations

from typing import Any

from idp import admin_providers
from idp.runtime import Runtime
from tests.oidc_helpers import auth_request, login_page

LINK_TEXT = "S&#39;identifier avec un fournisseur d&#39;identité"


def _register(rt: Runtime, provider_id: str, **fields: Any) -> None:
    admin_providers.add_provider(rt.db, rt.keys.secret_box, rt.clock.now(),
                                 admin_providers.new_provider(
        id=provider_id, display_name=f"FI {provider_id}", client_id="hub",
        client_secret="fi-secret-" + "x" * 24,
        discovery_url="https://fi.example.test/.well-known/openid-configuration", **fields))


def _link(html: str) -> str | None:
    """The href of the picker link, or None when the page has none."""
    if "/connexion/choix" not in html:
        return None
    assert LINK_TEXT in html or "S'identifier avec un fournisseur" in html, html
    return html.split('href="/connexion/choix', 1)[1].split('"', 1)[0]


def test_no_fi_no_link(http) -> None:  # type: ignore[no-untyped-def]
    page = http.get("/login")
    assert page.status_code == 200
    assert _link(page.text) is None


def test_only_hidden_fi_no_link(rt: Runtime, http) -> None:  # type: ignore[no-untyped-def]
    _register(rt, "hidden", shown=False)
    assert _link(http.get("/login").text) is None


def test_shown_fi_gives_the_link(rt: Runtime, http) -> None:  # type: ignore[no-untyped-def]
    _register(rt, "open")
    assert _link(http.get("/login").text) == ""


def test_fi_switched_off_is_still_shown_greyed_so_the_link_stays(
        rt: Runtime, http) -> None:  # type: ignore[no-untyped-def]
    _register(rt, "off", enabled=False)
    assert _link(http.get("/login").text) == ""


def test_link_carries_the_pending_request(rt: Runtime, http, factories) -> None:  # type: ignore[no-untyped-def]
    _register(rt, "open")
    client = factories.client()
    req = auth_request(client.client_id, client.redirect_uri)
    page = login_page(http, req)
    rid = str(page.url).split("rid=", 1)[1]
    assert _link(page.text) == f"?rid={rid}"


def test_client_allowed_no_shown_fi_gets_no_link(rt: Runtime, http, factories) -> None:  # type: ignore[no-untyped-def]
    _register(rt, "open")
    _register(rt, "hidden", shown=False)
    client = factories.client(allowed_providers=["hidden"])
    page = login_page(http, auth_request(client.client_id, client.redirect_uri))
    assert _link(page.text) is None
