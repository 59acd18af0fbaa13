"""What `idp demo` tells people: addresses that follow --host/--port, its logins, where the
e-mails and SMS go, how to stop; in French by default, English on request."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp.demo import DEMO_PASSWORD, DEMO_USERS, banner, demo_addresses
from idp.demo_mail import MailCatcher
from idp.settings import Settings
from sitekit.web.i18n import Catalogues


def test_the_issuer_and_apa_follow_the_chosen_port() -> None:
    urls = demo_addresses("127.0.0.1", 9210, {})
    assert (urls.hub, urls.apa, urls.apa_port) == (
        "http://127.0.0.1:9210", "http://127.0.0.1:9211", 9211)


def test_an_explicit_issuer_wins_over_the_port() -> None:
    urls = demo_addresses("127.0.0.1", 9210, {"IDP_ISSUER": "https://idp.example.fr"})
    assert urls.hub == "https://idp.example.fr"
    assert urls.apa == "http://127.0.0.1:9211"


@pytest.mark.parametrize(("host", "url_host"), [("localhost", "localhost"), ("::1", "[::1]"),
                                                ("0.0.0.0", "127.0.0.1")])
def test_the_host_moves_the_urls_too(host: str, url_host: str) -> None:
    urls = demo_addresses(host, 9300, {})
    assert urls.hub == f"http://{url_host}:9300" and urls.apa == f"http://{url_host}:9301"
    assert urls.host == host


def printed(lang: str, tmp_path: Path) -> str:
    catalogues = Catalogues()

    def t(message: str, **values: object) -> str:
        return catalogues.gettext(lang, message).format(**values)

    settings = Settings.from_env({}, sms_sink_file=str(tmp_path / "sms.jsonl"))
    return banner(t, demo_addresses("127.0.0.1", 9210, {}), settings,
                  MailCatcher(tmp_path / "demo-mail", 2525))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_output_names_what_a_person_needs_and_nothing_for_developers(
        lang: str, tmp_path: Path) -> None:
    text = printed(lang, tmp_path)
    for needed in ("http://127.0.0.1:9210/", "http://127.0.0.1:9211/",
                   "http://127.0.0.1:9214/", DEMO_PASSWORD,
                   *(u["username"] for u in DEMO_USERS), str(tmp_path / "demo-mail"),
                   "http://127.0.0.1:9210/demo/courriels", str(tmp_path / "sms.jsonl"),
                   "Ctrl-C"):
        assert needed in text
    for developer_word in ("issue", "service-public", "curl", "client_credentials"):
        assert developer_word not in text


def test_the_output_is_french_by_default_and_english_on_request(tmp_path: Path) -> None:
    assert "Appuyez sur Ctrl-C pour arrêter la démonstration." in printed("fr", tmp_path)
    assert "Press Ctrl-C to stop the demo." in printed("en", tmp_path)
