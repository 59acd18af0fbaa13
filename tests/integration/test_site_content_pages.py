"""Seed 001's login page surroundings, the assistance and FAQ pages from the operator's
content file (IDP_CONTENT_FILE), the password rules as a list, and the header's logout."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from idp.app import create_app
from idp.runtime import Runtime
from tests.conftest import ISSUER
from tests.oidc_helpers import csrf_token, login

HOSTILE = '''
[welcome]
title = "<script>alert('title')</script>Bienvenue chez Opérateur Test"
text = { fr = "Texte <img src=x onerror=alert(1)> de l'opérateur", en = "Operator's text" }

[conditions]
title = "Règles maison"
intro = "Vous acceptez :"

[[conditions.links]]
text = "La charte maison"
label = "Lire"
href = "https://operateur.example/charte\\"onclick=\\"x"

[fraud_alert]
shown = false
title = "ALERTE CACHÉE"
text = "Ne doit pas paraître"

[[guides]]
label = "Guide maison"
href = "/aide-maison"

[[assistance]]
label = "Plateau d'assistance Test"
phone = "+33 1 23 45 67 89"
email = "aide@operateur.example"
hours = { fr = "Du lundi au jeudi", en = "Monday to Thursday" }

[[faq]]
question = "Question <b>maison</b> ?"
answer = "Réponse maison.\\nDeuxième paragraphe."
'''


@pytest.fixture
def operator_http(rt: Runtime, tmp_path: Path) -> Iterator[TestClient]:
    path = tmp_path / "content.toml"
    path.write_text(HOSTILE, encoding="utf-8")
    settings = rt.settings.replace(content_file=str(path))
    runtime = Runtime.build(settings, rt.clock)
    try:
        with TestClient(create_app(settings, runtime=runtime), base_url=ISSUER) as client:
            yield client
    finally:
        runtime.close()


def test_the_login_page_carries_the_seeds_surroundings(http) -> None:  # type: ignore[no-untyped-def]
    page = http.get("/login")
    assert page.status_code == 200
    text = html.unescape(page.text)
    for words in ("Bienvenue sur Identité Publique", "Conditions d'utilisation du Portail",
                  "Consulter la charte", "Consulter la politique de sécurité",
                  "ALERTE ESCROQUERIE", "Télécharger le guide d'accès au portail",
                  "Aide en ligne", "Accéder à la foire aux questions (FAQ)",
                  "Consulter les coordonnées du service d'assistance"):
        assert words in text, words
    assert 'href="/faq"' in text and 'href="/assistance"' in text
    assert 'class="fr-alert fr-alert--warning fr-mb-4w" id="fraud-alert"' in page.text
    english = html.unescape(http.get("/login?lang=en").text)
    assert "FRAUD ALERT" in english and "Terms of use of the Portal" in english


def test_the_assistance_and_faq_pages_show_the_default_entries(http) -> None:  # type: ignore[no-untyped-def]
    assistance = html.unescape(http.get("/assistance").text)
    assert "assistance@identite.example" in assistance and 'href="tel:0184000000"' in assistance
    assert "Du lundi au vendredi" in assistance
    faq = html.unescape(http.get("/faq").text)
    assert "J'ai oublié mon mot de passe : que faire ?" in faq
    assert "fr-accordion__btn" in faq


def test_an_operator_file_replaces_the_texts_and_its_markup_is_shown_as_text(  # type: ignore[no-untyped-def]
        operator_http) -> None:
    page = operator_http.get("/login")
    assert page.status_code == 200
    assert "Bienvenue chez Opérateur Test" in page.text
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(" in page.text
    assert "<img src=x" not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text
    # The quote of the href is escaped: no attribute can be added to the link.
    assert 'href="https://operateur.example/charte&#34;onclick=&#34;x"' in page.text
    assert "ALERTE CACHÉE" not in page.text and "ALERTE ESCROQUERIE" not in page.text
    assert 'href="/aide-maison"' in page.text and "Aide en ligne" not in page.text
    assert "Operator&#39;s text" in operator_http.get("/login?lang=en").text
    assistance = operator_http.get("/assistance").text
    assert "Plateau d&#39;assistance Test" in assistance and "identite.example" not in assistance
    assert 'href="mailto:aide@operateur.example"' in assistance
    faq = operator_http.get("/faq").text
    assert "Question &lt;b&gt;maison&lt;/b&gt; ?" in faq
    assert "<p>Réponse maison.</p><p>Deuxième paragraphe.</p>" in faq
    assert "J&#39;ai oublié mon mot de passe" not in faq


def test_a_javascript_link_never_reaches_a_page(rt: Runtime, tmp_path: Path) -> None:
    from sitekit.settings import SettingError

    path = tmp_path / "content.toml"
    path.write_text('[[guides]]\nlabel = "Guide"\nhref = "javascript:alert(1)"\n',
                    encoding="utf-8")
    with pytest.raises(SettingError, match=r"guides\[0\]\.href"):
        Runtime.build(rt.settings.replace(content_file=str(path)), rt.clock)


def _rules_list(text: str) -> list[str]:
    match = re.search(r'<div class="[^"]*hub-password-rules" id="password-rules">.*?<ul>(.*?)</ul>',
                      text, re.S)
    assert match, "no rules list"
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", match.group(1))]


def test_password_rules_are_a_list_on_the_change_page(http, factories) -> None:  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt")
    login(http, "cbernard-xt")
    page = http.get("/compte/mot-de-passe")
    rules = _rules_list(page.text)
    assert len(rules) >= 3 and all(rule and "," not in rule[-1:] for rule in rules)
    assert 'aria-describedby="password-rules"' in page.text
    # Not the run-on sentence of before ("…doit contenir : 8 caractères, 2 lettres, …").
    assert f"{rules[0]}, {rules[1]}" not in html.unescape(page.text)


def test_logging_out_from_the_header_ends_the_session(http, factories) -> None:  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", given_name="Camille", family_name="Bernard")
    login(http, "cbernard-xt")
    portal = http.get("/")
    header = portal.text.split("</header>")[0]
    assert 'hub-header-user">Camille Bernard<' in header
    assert '<form method="post" action="/logout"' in header and 'name="confirm" value="1"' in header
    assert 'aria-controls="header-menu"' in header and 'id="header-menu"' in header
    response = http.post("/logout", data={"csrf_token": csrf_token(header), "confirm": "1"})
    assert response.status_code == 200 and "déconnecté" in html.unescape(response.text)
    assert "Liste des applications" not in html.unescape(http.get("/").text)


def test_the_header_logout_without_the_token_is_refused(http, factories) -> None:  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt")
    login(http, "cbernard-xt")
    assert http.post("/logout", data={"confirm": "1"}).status_code == 403
    assert "Liste des applications" in html.unescape(http.get("/").text)
