"""Every page renders in French and English with every text translated; language choice."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import extract_from_dir

from idp.accounts.policy import DEFAULTS as POLICIES
from idp.oidc.data_kinds import DATA_KINDS
from idp.web.messages import (
    AWAITING_CONFIRMATION,
    ERROR_MESSAGES,
    LOGIN_FAILED,
    LOGIN_LOCKED,
    LOGIN_MISSING,
    PASSWORD_EXPIRED_ASSISTANCE,
)
from idp.web.pages import registration
from idp.web.pages.contact import KINDS
from idp.web.pages.contact import WRONG_CODE as MOBILE_WRONG_CODE
from idp.web.pages.legal import PAGES
from idp.web.pages.recovery import RESEND_REFUSED, WRONG_CODE
from idp.web.pages.second_factor import MISSING_CODE, WRONG_PASSWORD
from idp.web.pages.second_factor import WRONG_CODE as OTP_WRONG_CODE
from idp.web.templating import TEMPLATES, Pages
from sitekit.web.i18n import LOCALES, Catalogues, negotiate

KIND_LABELS = [kind.label for kind in DATA_KINDS]
ROOT = Path(__file__).resolve().parents[3]
ACCOUNT = SimpleNamespace(username="cbernard-xt", given_name="Camille", family_name="Bernard")

_CITIZEN_RULES = [r.message for r in POLICIES["citizen"].rules]
_REGISTRATION_ERRORS = [("email", registration.INVALID_EMAIL),
                        ("confirmation", registration.CONFIRMATION_DIFFERS),
                        ("terms", registration.TERMS_REQUIRED),
                        *[("password", m) for m in _CITIZEN_RULES],
                        *[("human-check", m) for m in registration.HUMAN_CHECK_ERRORS.values()]]
REGISTRATION_CONTEXTS: dict[str, list[dict]] = {
    "registration.html": [dict(
        csrf_token="t", rid="r", email="e", rules=_CITIZEN_RULES, challenge="{}", stamp="1.a",
        wait_seconds=8, choices=registration.NO_CHOICE, errors=_REGISTRATION_ERRORS,
        by_field={f: [m for g, m in _REGISTRATION_ERRORS if g == f]
                  for f, _ in _REGISTRATION_ERRORS})],
    "registration_sent.html": [{}],
    "registration_confirm.html": [dict(csrf_token="t", token="x")],
    "registration_confirmed.html": [{}, dict(client_name="APA", client_url="/")],
    "registration_link.html": [{}],
    "registration_awaiting.html": [dict(csrf_token="t", message=AWAITING_CONFIRMATION),
                                   dict(csrf_token="t", sent=True),
                                   dict(csrf_token="t", refused=True)],
}

# A context for each hub template that reaches every translated text.
CONTEXTS: dict[str, list[dict]] = {
    "login.html": [dict(csrf_token="t", rid="r", username="u", client_name="APA",
                        error=message, error_values=values)
                   for message, values in [(LOGIN_FAILED, {}), (LOGIN_MISSING, {}),
                                           (LOGIN_LOCKED, {"minutes": 15})]],
    "consent.html": [dict(csrf_token="t", rid="r", client_name="APA", data_kinds=KIND_LABELS),
                     dict(csrf_token="t", rid="r", client_name="APA", data_kinds=[])],
    "information.html": [dict(csrf_token="t", rid="r", client_name="APA",
                              data_kinds=KIND_LABELS),
                         dict(csrf_token="t", rid="r", client_name="APA", data_kinds=[])],
    "error.html": [dict(code="invalid_request", **m) for m in ERROR_MESSAGES.values()]
    + [dict(message="A technical error occurred. Try again in a few moments."),
       dict(PASSWORD_EXPIRED_ASSISTANCE)],
    "logout_confirm.html": [dict(csrf_token="t", client_name="APA", carry=[]),
                            dict(csrf_token="t", client_name=None, carry=[])],
    "logged_out.html": [{}],
    "home.html": [{}],
    "portal.html": [dict(account=ACCOUNT, applications=[SimpleNamespace(name="APA", url="/")],
                         expires="22/11/2027", warn_days=12, previous_login="21/11/2026"),
                    dict(account=SimpleNamespace(username="u", given_name="A", family_name=None),
                         applications=[], expires=None, warn_days=None, previous_login=None)],
    "directory_down.html": [{}],
    "recovery_start.html": [dict(csrf_token="t"), dict(csrf_token="t", missing=True)],
    "mobile_reminder.html": [dict(csrf_token="t", next="/")],
    "contact_change.html": [dict(csrf_token="t", next="/", kind=kind, action="/", current="",
                                 error=KINDS[kind].invalid) for kind in KINDS],
    "contact_code.html": [dict(csrf_token="t", kind=kind, error=MOBILE_WRONG_CODE)
                          for kind in KINDS],
    "contact_changed.html": [dict(next="/", kind=kind) for kind in KINDS],
    "recovery_code.html": [
        dict(csrf_token="t", resent=True, rules=[r.message for r in POLICIES["portal"].rules],
             errors=[("code", WRONG_CODE), ("code", RESEND_REFUSED)],
             by_field={"code": [WRONG_CODE], "new_password": [POLICIES["portal"].rules[2].message],
                       "confirmation": ["The confirmation differs from the new password."]}),
    ],
    "legal.html": [dict(page_title=t, paragraphs=p) for t, p in PAGES.values()],
    "password_change.html": [
        dict(account=ACCOUNT, csrf_token="t", rules=[r.message for r in policy.rules],
             errors=[("new_password", r.message) for r in policy.rules]
             + [("current_password", "The current password is incorrect."),
                ("confirmation", "The confirmation differs from the new password."),
                ("new_password", "This password was used recently: choose another one."),
                ("", "Your account is not active.")],
             by_field={"new_password": [r.message for r in policy.rules],
                       "current_password": ["The current password is incorrect."],
                       "confirmation": ["The confirmation differs from the new password."]})
        for policy in POLICIES.values()
    ] + [dict(account=ACCOUNT, csrf_token="t", rules=[], errors=[], by_field={}, expired=True)],
    "second_factor_code.html": [
        dict(csrf_token="t", rid="r", error=message, error_values=values)
        for message, values in [(OTP_WRONG_CODE, {}), (MISSING_CODE, {}),
                                (LOGIN_LOCKED, {"minutes": 15}), (None, {})]],
    "second_factor.html": [
        dict(account=ACCOUNT, csrf_token="t", enrolled=False, removed=True,
             manual_key="ABCD EFGH", qr_svg="<svg></svg>",
             errors=[("current_password", WRONG_PASSWORD), ("code", OTP_WRONG_CODE)],
             by_field={"current_password": [WRONG_PASSWORD], "code": [MISSING_CODE]}),
        dict(account=ACCOUNT, csrf_token="t", enrolled=True, remaining=9, errors=[],
             by_field={}, removed=False)],
    "second_factor_enabled.html": [dict(codes=["ABCD-EFGH-IJKL-MNOP"])],
    "password_changed.html": [dict(account=ACCOUNT, expires="22/11/2027"),
                              dict(account=ACCOUNT, expires=None)],
    **REGISTRATION_CONTEXTS,
}


class RecordingPages(Pages):
    """Renders like Pages, recording every text that has no translation."""

    def __init__(self, templates: Path = TEMPLATES) -> None:
        super().__init__(templates=templates)
        self.missing: set[tuple[str, str]] = set()

    def render_text(self, name: str, locale: str, **context) -> str:  # type: ignore[no-untyped-def]
        def translate(message: str, **values) -> str:  # type: ignore[no-untyped-def]
            if message not in self.catalogues.messages[locale]:
                self.missing.add((locale, message))
            text = self.catalogues.gettext(locale, message)
            values = {**getattr(message, "values", {}), **values}
            return text.format(**values) if values else text

        return self.env.get_template(name).render(
            _=translate, lang=locale, language_links=[], **context)


def test_every_hub_template_has_a_context_here() -> None:
    templates = {p.name for p in TEMPLATES.glob("*.html")}
    assert templates == set(CONTEXTS)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_template_renders_fully_translated(locale: str) -> None:
    pages = RecordingPages()
    for name, contexts in CONTEXTS.items():
        for context in contexts:
            html = pages.render_text(name, locale, **context)
            assert f'lang="{locale}"' in html
    assert pages.missing == set()


def test_french_pages_use_the_portal_vocabulary() -> None:
    html = RecordingPages().render_text("login.html", "fr", **CONTEXTS["login.html"][0])
    for words in ("Identifiant", "Mot de passe", "Se connecter", "Afficher"):
        assert words in html


def test_every_extracted_message_is_translated_in_every_catalogue() -> None:
    catalogues = Catalogues()
    method_map = [("idp/**.py", "python"), ("clients/**.py", "python"),
                  ("sitekit/templates/**.html", "jinja2"), ("idp/templates/**.html", "jinja2"),
                  ("clients/*/templates/**.html", "jinja2")]
    keywords = {"_": None, "N_": None}
    ids = {
        message
        for _, _, message, *_ in extract_from_dir(ROOT, method_map, keywords=keywords)
        if isinstance(message, str)
    }
    assert ids, "nothing extracted"
    for locale in LOCALES:
        assert ids - set(catalogues.messages[locale]) == set(), locale


@pytest.mark.parametrize(
    ("query", "cookie", "ui_locales", "accept", "expected"),
    [
        (None, None, None, None, "fr"),
        (None, None, None, "en-GB,en;q=0.9", "en"),
        (None, None, None, "de-DE,de;q=0.9,en;q=0.5", "en"),
        (None, None, None, "fr;q=0.4,en;q=0.8", "en"),
        (None, None, "en fr", "fr", "en"),
        (None, None, "de", "fr", "fr"),
        (None, "en", "fr", "fr", "en"),
        ("fr", "en", "en", "en", "fr"),
        ("xx", None, None, None, "fr"),
    ],
)
def test_language_negotiation_order(query, cookie, ui_locales, accept, expected) -> None:  # type: ignore[no-untyped-def]
    assert negotiate(query, cookie, ui_locales, accept) == expected


@pytest.mark.parametrize("locale", LOCALES)
def test_shared_components_render_translated_and_accessible(locale: str) -> None:
    pages = RecordingPages()
    source = (
        '{% from "_macros.html" import table, pagination, notice with context %}'
        '{{ notice("n") }}{{ table("Historique", ["Nom", "Date"], rows) }}'
        '{{ table("Vide", ["Nom"], []) }}{{ pagination(2, 3, href) }}'
    )
    html = pages.env.from_string(source).render(
        _=lambda m, **v: pages.catalogues.gettext(locale, m).format(**v)
        if m in pages.catalogues.messages[locale] else pages.missing.add((locale, m)) or m,
        rows=[["a.xml", "2026-11-22"]], href=lambda n: f"?page={n}")
    assert pages.missing == set()
    assert "<caption>Historique</caption>" in html and 'scope="col"' in html
    assert 'aria-current="page" href="?page=2"' in html
    assert 'href="?page=1"' in html and 'href="?page=3"' in html
