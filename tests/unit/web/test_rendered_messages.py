"""No rendered message ends with two full stops ("…choisissez-en un autre..").

The form macros add a full stop after messages that have none (password rules) and must not
add one after those that already end a sentence; every message of both catalogues is put
through every macro that shows messages, in French and in English.
"""

from __future__ import annotations

import html
import re

import pytest
from babel.messages.pofile import read_po

from idp.accounts.policy import PasswordPolicies
from idp.web.templating import Pages
from sitekit.web.i18n import LOCALES, LOCALES_DIR

# Exactly two full stops (an ellipsis "..." is not a doubled full stop).
DOUBLED_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")
MACROS = """{% import "_macros.html" as m with context %}
{% call m.error_summary(errors) %}Title{% endcall %}
{{ m.new_password_fields(by_field, rules) }}"""


def _message_ids() -> list[str]:
    with (LOCALES_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        ids = [m.id for m in read_po(f) if m.id and isinstance(m.id, str)]
    return [i for i in ids if "{" not in i]  # placeholders: the rules below, with values


PAGES = Pages()


def _render(locale: str, messages: list, rules: list) -> str:
    pages = PAGES

    def translate(message, **values):  # type: ignore[no-untyped-def]
        text = pages.catalogues.gettext(locale, message)
        values = {**getattr(message, "values", {}), **values}
        return text.format(**values) if values else text

    template = pages.env.from_string(MACROS)
    return html.unescape(template.render(
        _=translate, errors=[("new_password", m) for m in messages],
        by_field={"new_password": messages, "confirmation": messages}, rules=rules))


def _visible_text(page: str) -> str:
    return re.sub(r"<[^>]+>", " ", page)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_message_of_the_catalogue_is_rendered_with_two_full_stops(locale: str) -> None:
    ids = _message_ids()
    assert len(ids) > 50
    rules = [rule.message for rule in PasswordPolicies()("portal").rules]
    for message in ids:
        text = _visible_text(_render(locale, [message], rules))
        assert not DOUBLED_STOP.search(text), (locale, message, DOUBLED_STOP.search(text))


@pytest.mark.parametrize("locale", LOCALES)
def test_every_password_rule_and_refusal_ends_with_one_full_stop(locale: str) -> None:
    policies = PasswordPolicies()
    for population in ("portal", "citizen", "technical"):
        rules = [rule.message for rule in policies(population).rules]
        refusals = [*rules, "This password was used recently: choose another one.",
                    "The confirmation differs from the new password."]
        page = _render(locale, refusals, rules)
        text = _visible_text(page)
        assert not DOUBLED_STOP.search(text), (locale, population)
        # The new password's error text: each message followed by exactly one full stop.
        error = re.search(r'id="new_password-error"[^>]*>(.*?)</p>', page, re.S)
        assert error is not None
        sentences = [s.strip() for s in error.group(1).split(". ") if s.strip()]
        assert len(sentences) == len(refusals), sentences
