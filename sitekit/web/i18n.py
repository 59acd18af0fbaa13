"""Languages of the pages: French by default, English available.

The language comes, in order, from an explicit switch (`?lang=`, remembered in a cookie),
the OIDC `ui_locales` parameter (OIDC Core §3.1.2.1), the browser's Accept-Language, else
French. Texts live in gettext catalogues (sitekit/locales/<lang>/LC_MESSAGES/messages.po, read with
Babel); message ids are English, and every id has a translation in every catalogue
(tests/unit/web/test_i18n.py).
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

import sitekit
from sitekit.texts import N_

__all__ = ["N_", "Catalogues", "negotiate", "pick_locale"]

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
LANG_COOKIE = "idp_lang"
LOCALES_DIR = sitekit.LOCALES


class Catalogues:
    def __init__(self, directory: Path = LOCALES_DIR) -> None:
        self.messages: dict[str, dict[str, str]] = {}
        for locale in LOCALES:
            path = directory / locale / "LC_MESSAGES" / "messages.po"
            with path.open("rb") as f:
                catalog = read_po(f, locale=locale)
            self.messages[locale] = {
                m.id: m.string for m in catalog
                if isinstance(m.id, str) and isinstance(m.string, str) and m.id and m.string
                and not m.fuzzy
            }

    def gettext(self, locale: str, message: str) -> str:
        return self.messages.get(locale, {}).get(message) or message


def pick_locale(candidates: str | None) -> str | None:
    """The first supported language of a space- or comma-separated list (BCP 47 tags)."""
    if not candidates:
        return None
    for part in candidates.replace(",", " ").split():
        tag = part.split(";")[0].strip().lower()
        base = tag.split("-")[0]
        if base in LOCALES:
            return base
    return None


def negotiate(query_lang: str | None, cookie_lang: str | None, ui_locales: str | None,
              accept_language: str | None) -> str:
    return (
        pick_locale(query_lang)
        or pick_locale(cookie_lang)
        or pick_locale(ui_locales)
        or _from_accept_language(accept_language)
        or DEFAULT_LOCALE
    )


def _from_accept_language(header: str | None) -> str | None:
    if not header:
        return None
    weighted = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((-quality, index, tag))
    for _, _, tag in sorted(weighted):
        if (locale := pick_locale(tag)) is not None:
            return locale
    return None
