"""The portal's home (seed 001): "Liste des applications disponibles pour …", only the
entitled applications, password expiry with a warning 30 days before, last login, and a
clear page when the account directory cannot be reached."""

from __future__ import annotations

import html

from starlette.testclient import TestClient

from idp.app import create_app
from tests.conftest import ISSUER
from tests.oidc_helpers import login


def portal(http) -> str:  # type: ignore[no-untyped-def]
    response = http.get("/")
    assert response.status_code == 200
    return html.unescape(response.text)


def test_lists_only_the_applications_the_user_is_entitled_to(http, factories):  # type: ignore[no-untyped-def]
    factories.client(name="APA", home_url="https://apa.example/", access_rule="group:apa")
    factories.client(name="Chorus Pro", home_url="https://chorus.example/",
                     access_rule="group:chorus")
    factories.client(name="Sans page d'accueil")
    factories.account("cbernard-xt", given_name="Camille", family_name="Bernard",
                      groups=["apa"])
    login(http, "cbernard-xt")
    text = portal(http)
    assert "Liste des applications disponibles pour Camille Bernard" in text
    assert 'href="https://apa.example/"' in text
    assert "Chorus Pro" not in text and "Sans page d'accueil" not in text
    for link in ('href="/compte/mot-de-passe"', 'href="/assistance"', 'href="/faq"',
                 'href="/logout"'):
        assert link in text


def test_shows_the_password_expiry_and_warns_30_days_before(http, factories, clock):  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt")
    clock.advance(300 * 86400)
    login(http, "cbernard-xt")
    text = portal(http)
    assert "Expiration de votre mot de passe le" in text
    assert "Votre mot de passe expire bientôt" not in text
    clock.advance(40 * 86400)
    http.cookies.clear()
    login(http, "cbernard-xt")
    text = portal(http)
    assert "Votre mot de passe expire dans 25 jours" in text


def test_citizens_passwords_never_expire(http, factories):  # type: ignore[no-untyped-def]
    factories.account("nora", population="citizen")
    login(http, "nora")
    assert "Expiration de votre mot de passe" not in portal(http)


def test_shows_the_date_of_the_previous_login(http, factories, clock):  # type: ignore[no-untyped-def]
    factories.account("alice")
    login(http, "alice")
    assert "Dernière connexion" not in portal(http)
    clock.advance(86400)
    http.cookies.clear()
    login(http, "alice")
    assert "Dernière connexion le" in portal(http)


def test_directory_down_gives_a_clear_page(rt) -> None:  # type: ignore[no-untyped-def]
    from idp.runtime import Runtime

    unreachable = rt.settings.replace(
        database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    broken = Runtime.build(unreachable, rt.clock)
    app = create_app(unreachable, runtime=broken)
    with TestClient(app, base_url=ISSUER) as http:
        http.cookies.set(rt.settings.session_cookie, "some-session")
        response = http.get("/")
    assert response.status_code == 503
    text = html.unescape(response.text)
    assert "Connexion à l'annuaire impossible" in text and 'href="/assistance"' in text
