"""Every page renders in French and English with every text translated; language choice."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import extract_from_dir

from idp.accounts.policy import DEFAULTS as POLICIES
from idp.oidc.assurance import LEVEL_LABELS
from idp.oidc.data_kinds import DATA_KINDS
from idp.portal.history import HISTORY_EVENTS
from idp.portal.personal_info import CIVILITY, INVALID, TOO_MANY_LINES
from idp.web.messages import (
    AWAITING_CONFIRMATION,
    ERROR_MESSAGES,
    LOGIN_FAILED,
    LOGIN_LOCKED,
    LOGIN_MISSING,
    PASSWORD_EXPIRED_ASSISTANCE,
)
from idp.web.messages import WRONG_CODE as MERGE_WRONG_CODE
from idp.web.pages import linking, password_reset, registration, security
from idp.web.pages.contact import KINDS, RESEND_LIMITED
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

_RESET_RULES = [r.message for r in POLICIES["citizen"].rules]
_RESET_ERRORS = [*[("new_password", m) for m in _RESET_RULES],
                 ("confirmation", "The confirmation differs from the new password."),
                 ("new_password", "This password was used recently: choose another one."),
                 ("", "Your account is not active.")]
PASSWORD_RESET_CONTEXTS: dict[str, list[dict]] = {
    "password_reset_request.html": [dict(csrf_token="t", email="", error=None)]
    + [dict(csrf_token="t", email="e", error=m)
       for m in (password_reset.MISSING_EMAIL, password_reset.BAD_EMAIL)],
    "password_reset_sent.html": [dict(email="camille@example.fr")],
    "password_reset_form.html": [
        dict(csrf_token="t", token="x", account=SimpleNamespace(email="camille@example.fr"),
             rules=_RESET_RULES, errors=[], by_field={}),
        dict(csrf_token="t", token="x", account=SimpleNamespace(email="camille@example.fr"),
             rules=_RESET_RULES, errors=_RESET_ERRORS,
             by_field={f: [m for g, m in _RESET_ERRORS if g == f] for f, _ in _RESET_ERRORS})],
    "password_reset_done.html": [{}],
}

_FINISH_ERRORS = [("email", "Enter a valid e-mail address, such as nom@exemple.fr."),
                  *[("new_password", m) for m in _RESET_RULES],
                  ("confirmation", "The confirmation differs from the new password."),
                  ("", "This account cannot be finished this way."),
                  ("email", "A link was sent less than a minute ago: wait a moment before "
                            "asking for another one.")]
_FINISH = dict(account=ACCOUNT, csrf_token="t", rules=_RESET_RULES, identifier="", email="",
               errors=[], by_field={}, link_error=None, link_values={}, taken=None)
_PROVIDER = SimpleNamespace(id="fc", display_name="FranceConnect")
_LINKS = dict(account=ACCOUNT, csrf_token="t", links=[], choices=[], outcome=None, error=None,
              refusals=linking.REFUSALS, needs_password=False, has_password=True,
              password_error=False)
LINKING_CONTEXTS: dict[str, list[dict]] = {
    "account_finish.html": [
        _FINISH,
        {**_FINISH, "taken": "camille@example.fr", "errors": _FINISH_ERRORS,
         "by_field": {f: [m for g, m in _FINISH_ERRORS if g == f] for f, _ in _FINISH_ERRORS},
         "link_error": linking.LINK_LOCKED, "link_values": {"minutes": 15}},
        *[{**_FINISH, "link_error": m}
          for m in (linking.LINK_FAILED, linking.LINK_AGAIN, *linking.REFUSALS.values())]],
    "account_finish_code.html": [dict(csrf_token="t", error=None, error_values={}),
                                 dict(csrf_token="t", error=MERGE_WRONG_CODE, error_values={})],
    "account_finish_confirm.html": [dict(csrf_token="t", token="x")],
    "account_finish_done.html": [
        dict(email="camille@example.fr", with_password=True, logged_in=True),
        dict(email="camille@example.fr", with_password=False, logged_in=False)],
    "account_finish_sent.html": [dict(account=ACCOUNT, email="camille@example.fr")],
    "account_finish_taken.html": [dict(email="camille@example.fr")],
    "account_links.html": [
        _LINKS,
        {**_LINKS, "links": [dict(id=1, name="FranceConnect", first="01/01/2026",
                                   last="21/11/2026")],
         "choices": [SimpleNamespace(provider=_PROVIDER, clickable=True)],
         "outcome": {"merged": True}, "needs_password": True, "password_error": True,
         "error": "Log out and log in again to link an identity provider."},
        {**_LINKS, "choices": [SimpleNamespace(provider=_PROVIDER, clickable=False)],
         "needs_password": True, "has_password": False,
         "error": "This identity provider cannot be used now."},
        {**_LINKS, "outcome": {"linked": "FranceConnect", "already": True}},
        {**_LINKS, "outcome": {"linked": "FranceConnect", "already": False}},
        {**_LINKS, "outcome": {"unlinked": "FranceConnect"}},
        *[{**_LINKS, "outcome": {"refused": reason, "provider": "FranceConnect"},
           "error": message} for reason, message in linking.REFUSALS.items()]],
}

_ENTRY = dict(at=1_763_700_000, client_id=None, client_name=None, provider_name=None,
              level=None, data=[])
HISTORY_CONTEXTS: dict[str, list[dict]] = {
    "history.html": [
        dict(account=ACCOUNT, shown_days=90, moment=lambda at: ("21/11/2026", "10:00"),
             page=SimpleNamespace(number=1, count=1, entries=[])),
        dict(account=ACCOUNT, shown_days=90, moment=lambda at: ("21/11/2026", "10:00"),
             page=SimpleNamespace(number=2, count=3, entries=[
                 SimpleNamespace(**{**_ENTRY, "label": label}) for label in
                 HISTORY_EVENTS.values()] + [
                 SimpleNamespace(**{**_ENTRY, "label": HISTORY_EVENTS["data_transfer"],
                                    "client_id": "apa", "client_name": name,
                                    "provider_name": "FranceConnect", "level": level,
                                    "data": KIND_LABELS})
                 for name, level in zip(["APA", None, "APA"], LEVEL_LABELS.values(),
                                        strict=True)]))],
    "applications.html": [
        dict(account=ACCOUNT, applications=[], moment=lambda at: ("21/11/2026", "10:00"),
             withdrawn=None),
        dict(account=ACCOUNT, moment=lambda at: ("21/11/2026", "10:00"), withdrawn="APA",
             applications=[SimpleNamespace(client_id="apa", name="APA", consent_mode=mode,
                                           data=data, since=1, last_transfer=last)
                           for mode, data, last in [("explicit", KIND_LABELS, 2),
                                                    ("none", [], None)]])],
    "application_withdraw.html": [
        dict(csrf_token="t", moment=lambda at: ("21/11/2026", "10:00"),
             app=SimpleNamespace(client_id="apa", name="APA", consent_mode=mode))
        for mode in ("explicit", "none")],
}

_DELETION = dict(account=ACCOUNT, csrf_token="t", errors=[], by_field={}, citizen=True,
                 with_password=True, recent=False, relogin="/connexion/choix?",
                 provider_name=None)
_RELOGIN = ("For your safety, log in again with your identity provider, then delete your "
            "account within 5 minutes.")
DELETION_CONTEXTS: dict[str, list[dict]] = {
    "account_deletion.html": [
        _DELETION,
        {**_DELETION, "errors": [("password", "The password is incorrect.")],
         "by_field": {"password": "The password is incorrect."}},
        {**_DELETION, "with_password": False, "errors": [("", _RELOGIN)],
         "by_field": {"": _RELOGIN}},
        {**_DELETION, "with_password": False, "provider_name": "FranceConnect"},
        {**_DELETION, "with_password": False, "recent": True},
        {**_DELETION, "citizen": False}],
    "account_deleted.html": [{}],
}

_ACCOUNT_WITH_EMAIL = SimpleNamespace(username="u", email="camille@example.fr",
                                      phone_number="+33612345678", new_device_alerts=True)
_ACCOUNT_WITHOUT_EMAIL = SimpleNamespace(username="u", email=None, phone_number=None,
                                         new_device_alerts=False)
_ADDRESS = dict(street_address="", postal_code="", locality="", region="", country="")
_IDENTITY = dict(provider_id="fc", given_name="Camille", family_name="Bernard",
                 birthdate="01/02/1990")
_ADDRESS_ERRORS: list[tuple[str, str, dict[str, object]]] = [
    ("street_address", TOO_MANY_LINES, {"max": 4}), ("postal_code", INVALID, {"max": 16}),
    ("", "Your account is not active.", {})]
ACCOUNT_CONTEXTS: dict[str, list[dict]] = {
    "personal_info.html": [
        dict(account=_ACCOUNT_WITH_EMAIL, identity=SimpleNamespace(
            **_IDENTITY, civility=civility, usage_name="Durand", birthplace="75056",
            birthcountry="France"), provider_name="FranceConnect", csrf_token="t",
            address=_ADDRESS, errors=[], by_field={}, saved=True,
            limits=dict.fromkeys(_ADDRESS, 10))
        for civility in CIVILITY.values()] + [
        dict(account=_ACCOUNT_WITHOUT_EMAIL, identity=SimpleNamespace(
            **_IDENTITY, civility=None, usage_name=None, birthplace=None,
            birthcountry="99134"), provider_name=None, csrf_token="t", address=_ADDRESS,
            errors=_ADDRESS_ERRORS, by_field={f: (m, v) for f, m, v in _ADDRESS_ERRORS},
            saved=False, limits=dict.fromkeys(_ADDRESS, 10)),
        dict(account=_ACCOUNT_WITH_EMAIL, identity=None, provider_name=None, csrf_token="t",
             address=_ADDRESS, errors=[], by_field={}, saved=False,
             limits=dict.fromkeys(_ADDRESS, 10))],
    "security.html": [
        dict(account=_ACCOUNT_WITH_EMAIL, csrf_token="t", password="change",
             notice=security.ALERTS_ON, notice_values={}, error=None),
        dict(account=_ACCOUNT_WITH_EMAIL, csrf_token="t", password="set",
             notice=security.LINK_SENT, notice_values={"email": "camille@example.fr"},
             error=None),
        dict(account=_ACCOUNT_WITHOUT_EMAIL, csrf_token="t", password=None,
             notice=security.ALERTS_OFF, notice_values={}, error=security.LINK_REFUSED)],
}

# A context for each hub template that reaches every translated text.
CONTEXTS: dict[str, list[dict]] = {
    "login.html": [dict(csrf_token="t", rid="r", username="u", client_name="APA",
                        error=message, error_values=values, federation=federation)
                   for message, values, federation in [(LOGIN_FAILED, {}, True),
                                                       (LOGIN_MISSING, {}, False),
                                                       (LOGIN_LOCKED, {"minutes": 15}, False)]],
    "consent.html": [dict(csrf_token="t", rid="r", client_name="APA", data_kinds=KIND_LABELS),
                     dict(csrf_token="t", rid="r", client_name="APA", data_kinds=[])],
    "information.html": [dict(csrf_token="t", rid="r", client_name="APA",
                              data_kinds=KIND_LABELS),
                         dict(csrf_token="t", rid="r", client_name="APA", data_kinds=[])],
    "error.html": [dict(code="invalid_request", **m) for m in ERROR_MESSAGES.values()]
    + [dict(message="A technical error occurred. Try again in a few moments."),
       dict(PASSWORD_EXPIRED_ASSISTANCE),
       dict(code="invalid_request", developer_detail="redirect_uri: not registered",
            **ERROR_MESSAGES["invalid_request"])],
    "integration_button.html": [dict(stylesheet_url="https://hub.test/static/connect-button/"
                                          "connect-button.css",
                                          about_url="https://hub.test/a-propos",
                                          source=str)],
    "logout_confirm.html": [dict(csrf_token="t", client_name="APA", carry=[]),
                            dict(csrf_token="t", client_name=None, carry=[])],
    "logged_out.html": [{}],
    "home.html": [{}],
    "portal.html": [dict(account=SimpleNamespace(**vars(ACCOUNT), population="citizen"),
                         applications=[SimpleNamespace(name="APA", url="/")],
                         expires="22/11/2027", warn_days=12, previous_login="21/11/2026",
                         password="change", finish_account=True),
                    dict(account=SimpleNamespace(username="u", given_name="A", family_name=None,
                                                 population="citizen"),
                         applications=[], expires=None, warn_days=None, previous_login=None,
                         password="set", finish_account=False),
                    dict(account=SimpleNamespace(username="u", given_name="A", family_name=None,
                                                 population="agent"),
                         applications=[], expires=None, warn_days=None, previous_login=None,
                         password=None, finish_account=False)],
    "directory_down.html": [{}],
    "recovery_start.html": [dict(csrf_token="t"), dict(csrf_token="t", missing=True)],
    "mobile_reminder.html": [dict(csrf_token="t", next="/")],
    "contact_change.html": [dict(csrf_token="t", next="/", kind=kind, action="/", current="",
                                 error=KINDS[kind].invalid) for kind in KINDS],
    "contact_code.html": [dict(csrf_token="t", kind=kind, error=MOBILE_WRONG_CODE)
                          for kind in KINDS] + [
        dict(csrf_token="t", kind="mobile", resent=True),
        dict(csrf_token="t", kind="email", resend_error=RESEND_LIMITED, minutes=15)],
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
             by_field={}, removed=False),
        dict(account=ACCOUNT, csrf_token="t", enrolled=True, remaining=9, errors=[],
             by_field={}, codes_gone=True)],
    "second_factor_enabled.html": [dict(codes=["ABCD-EFGH-IJKL-MNOP"], csrf_token="t",
                                        minutes=5)],
    "password_changed.html": [dict(account=ACCOUNT, expires="22/11/2027"),
                              dict(account=ACCOUNT, expires=None)],
    **REGISTRATION_CONTEXTS,
    **PASSWORD_RESET_CONTEXTS,
    "_account_layout.html": [dict(account=ACCOUNT, csrf_token="t"), dict(account=None)],
    "assistance.html": [{}],
    "faq.html": [{}],
    **LINKING_CONTEXTS,
    **HISTORY_CONTEXTS,
    **DELETION_CONTEXTS,
    **ACCOUNT_CONTEXTS,
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
