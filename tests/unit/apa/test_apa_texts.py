"""APA's pages render fully translated in French and English, with the seed's vocabulary."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from clients.apa.app import TEMPLATES
from clients.apa.pages import DEPOSIT_DONE, ERRORS
from clients.apa.service import Page, human_size
from clients.apa.uploads import CHOOSE_FILE, UPLOAD_CUT
from sitekit.texts import N_, Text
from sitekit.web.i18n import LOCALES
from tests.unit.web.test_i18n import RecordingPages

COMMON = dict(identifier="cbernard-xt", sirets=["21750001600019"], csrf_token="t",
              human_size=human_size, day=lambda t: "01-01-2026", moment=lambda t: "x",
              hub_url="http://hub", service_tagline=N_("Personalised autonomy allowance"))
DEPOSIT = SimpleNamespace(id="a" * 32, external_name="f.xml", internal_name="f.xml.1", size=3,
                          sha256="0" * 64, deposited_at=0)
RESPONSE = SimpleNamespace(id="b" * 32, name="f_REP.xml", size=3, available_at=0, expires_at=1,
                           first_download_at=None)
DOWNLOAD = SimpleNamespace(file_name="f_REP.xml", downloaded_by="x", downloaded_at=0)
CONTEXTS = {
    "deposit.html": [dict(done=DEPOSIT, max_size="5 Mo", current="/depot"),
                     dict(error=Text(N_("The file is larger than the {size} allowed."),
                                     size="5 Mo"), max_size="5 Mo"),
                     dict(error=CHOOSE_FILE, max_size="5 Mo"),
                     dict(error=UPLOAD_CUT, max_size="5 Mo")],
    "withdrawal.html": [dict(page=Page([RESPONSE], 1, 2), days=21),
                        dict(page=Page([], 1, 1), days=21)],
    "deposit_history.html": [dict(page=Page([DEPOSIT], 1, 1), period=p)
                             for p in ("veille", "12mois")],
    "download_history.html": [dict(page=Page([DOWNLOAD], 2, 3))],
    "error.html": [dict(title=t, message=m) for t, m in ERRORS.values()],
    "_apa.html": [dict(current="/retrait")],
    "logged_out.html": [{}],
}


def test_every_apa_template_has_a_context_here() -> None:
    pages = {p.name for p in TEMPLATES.glob("*.html")} - {"_apa_macros.html"}  # macros only
    pages |= {"logged_out.html"}  # sitekit's, shared with Chorus
    assert pages == set(CONTEXTS)


def test_file_names_may_wrap_only_after_underscores_and_dots() -> None:
    html = RecordingPages(TEMPLATES).render_text("withdrawal.html", "fr", **{
        **COMMON, "page": Page([SimpleNamespace(**{**vars(RESPONSE), "name": "a<b_c.xml"})],
                               1, 1), "days": 21})
    assert "a&lt;b_<wbr>c.<wbr>xml" in html  # escaped, then the break opportunities


@pytest.mark.parametrize("locale", LOCALES)
def test_every_apa_page_renders_fully_translated(locale: str) -> None:
    pages = RecordingPages(TEMPLATES)
    for name, contexts in CONTEXTS.items():
        for context in contexts:
            html = pages.render_text(name, locale, **{**COMMON, **context})
            assert f'lang="{locale}"' in html
    assert pages.missing == set()
    assert DEPOSIT_DONE in pages.catalogues.messages[locale]


def test_french_pages_use_the_seed_vocabulary() -> None:
    html = RecordingPages(TEMPLATES).render_text("withdrawal.html", "fr",
                                        **{**COMMON, **CONTEXTS["withdrawal.html"][0]})
    for words in ("Paramètres de connexion", "Retrait fichiers réponse", "Type document",
                  "Date de mise à disposition", "Date 1er téléchargement",
                  "Fichier réponse APA", "21 jours maximum"):
        assert words in html
