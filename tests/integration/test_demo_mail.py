"""The demo's mail catcher (idp/demo_mail.py): a real SMTP server whose messages a person reads
as .eml files and on a page of the demo, which serves nothing else from the disk."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from idp.demo import free_port
from idp.demo_mail import MAIL_PAGE, MailCatcher, WithMailPage, mail_page_app, saved_mails
from sitekit.web.i18n import Catalogues


@pytest.fixture
def catcher(tmp_path: Path):  # type: ignore[no-untyped-def]
    running = MailCatcher(tmp_path / "demo-mail", free_port()).start()
    yield running
    running.stop()


def send(catcher: MailCatcher, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = "Identité Publique <ne-pas-repondre@identite.example>"
    message["To"] = "mathilde.roussel@departement-demo.example"
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(catcher.host, catcher.port, timeout=10) as smtp:
        smtp.send_message(message)


def pages(catcher: MailCatcher, lang: str = "fr") -> TestClient:
    catalogues = Catalogues()
    mail = mail_page_app(catcher.folder, lambda m: catalogues.gettext(lang, m), lang)

    async def hub(scope, receive, send):  # type: ignore[no-untyped-def]
        raise AssertionError("the mail pages must not reach the hub")

    return TestClient(WithMailPage(hub, mail), base_url="http://127.0.0.1:9400")


def test_each_message_received_over_smtp_is_kept_as_a_readable_eml_file(catcher):  # type: ignore[no-untyped-def]
    send(catcher, "Modification de vos informations personnelles",
         "Votre mot de passe a été modifié.")
    [path] = sorted(catcher.folder.glob("*.eml"))
    [mail] = saved_mails(catcher.folder)
    assert mail.name == path.name
    assert mail.message["Subject"] == "Modification de vos informations personnelles"
    assert mail.text.strip() == "Votre mot de passe a été modifié."
    assert not list(catcher.folder.glob(".*.part"))


def test_the_page_lists_the_messages_newest_first_and_shows_each_text(catcher):  # type: ignore[no-untyped-def]
    send(catcher, "Premier", "un")
    send(catcher, "Second <b>", "deux & trois")
    http = pages(catcher)
    listing = http.get(MAIL_PAGE)
    assert listing.status_code == 200
    assert "Courriels envoyés par la démonstration" in listing.text
    names = [m.name for m in saved_mails(catcher.folder)]
    assert listing.text.index(names[0]) < listing.text.index(names[1])
    assert "Second &lt;b&gt;" in listing.text and "<b>" not in listing.text
    second = next(m for m in saved_mails(catcher.folder) if "Second" in m.message["Subject"])
    shown = http.get(f"{MAIL_PAGE}/{second.name}")
    assert shown.status_code == 200
    assert "deux &amp; trois" in shown.text


def test_the_page_says_when_there_is_no_message_yet(catcher):  # type: ignore[no-untyped-def]
    assert "Aucun courriel pour l&#x27;instant." in pages(catcher).get(MAIL_PAGE).text
    assert "No e-mail yet." in pages(catcher, "en").get(MAIL_PAGE).text


@pytest.mark.parametrize("name", ["..%2F..%2Fetc%2Fpasswd", "secret.txt", ".x.eml.part",
                                  "20260101-000000-0000000g.eml", "20260101-000000-00000000.eml"])
def test_the_page_serves_only_the_catchers_own_files(catcher, name):  # type: ignore[no-untyped-def]
    (catcher.folder / "secret.txt").write_text("not a message")
    (catcher.folder.parent / "outside.eml").write_text("Subject: outside\n\nno")
    response = pages(catcher).get(f"{MAIL_PAGE}/{name}")
    assert response.status_code == 404
    assert "Courriel introuvable" in response.text
    assert "not a message" not in response.text
