"""The citizen's forgotten password by e-mail in a real browser (seed 004 §5), at desktop
(1280 px) and mobile (390 px) widths, axe-checked: the login page's link, « Générer un nouveau
mot de passe », the link from the e-mail (read from the SMTP server), the new password with
its rules and strength meter, the login with it, then « Connexion, sécurité et paramétrage »
and its new-device switch."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_page
from tests.mail import body_of, subject_of

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]
WIDTHS = {"desktop": (1280, 900), "mobile": (390, 844)}
NEW = {"desktop": "Nouveau2027a", "mobile": "Nouveau2027b"}
EMAIL = "claire.petit@example.test"


def wait_for_mail(live, subject: str, seen: int, seconds: float = 15):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while True:
        found = [m for m in live.smtp.messages[seen:] if m["To"] == EMAIL
                 and subject_of(m) == subject]
        if found:
            return found[-1]
        assert time.monotonic() < deadline, "no e-mail " + subject
        time.sleep(0.1)


@pytest.mark.parametrize("width", WIDTHS)
def test_forgotten_password_by_email_then_the_security_page(page: Page, live, width) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    page.goto(live.hub + "/login")
    page.click("text=Mot de passe oublié : recevoir un lien par courriel")
    expect(page.locator("h1")).to_have_text("Mot de passe oublié")
    check_page(page, f"70-password-reset-request-{width}")
    page.fill("#email", "pas une adresse")
    page.click("form button[type=submit]")
    expect(page.locator("#error-summary")).to_contain_text("adresse électronique valide")
    check_page(page, f"71-password-reset-request-error-{width}")
    seen = len(live.smtp.messages)
    page.fill("#email", EMAIL)
    page.click("button:has-text(\"Générer un nouveau mot de passe\")")
    expect(page.locator("h1")).to_have_text("Consultez votre messagerie")
    check_page(page, f"72-password-reset-sent-{width}")

    mail = wait_for_mail(live, "Création d'un nouveau mot de passe", seen)
    body = body_of(mail)
    url = urlsplit(re.search(r"(http\S+jeton=\S+)", body).group(1))  # type: ignore[union-attr]
    page.goto(live.hub + url.path + "?" + url.query)
    expect(page.locator("h1")).to_have_text("Création d'un nouveau mot de passe")
    expect(page.locator("main ul li").first).to_have_text("Au moins 8 caractères")
    page.fill("#new_password", "faible")
    expect(page.locator("#new_password-group")).to_contain_text("Force :")
    page.fill("#confirmation", "faible")
    page.click("button:has-text(\"Créer le mot de passe\")")
    expect(page.locator("#error-summary")).to_contain_text("Au moins une lettre majuscule")
    check_page(page, f"73-password-reset-form-errors-{width}")
    page.fill("#new_password", NEW[width])
    page.fill("#confirmation", NEW[width])
    page.click("button:has-text(\"Créer le mot de passe\")")
    expect(page.locator("h1")).to_have_text("Mot de passe modifié")
    check_page(page, f"74-password-reset-done-{width}")
    # The link works once.
    page.goto(live.hub + url.path + "?" + url.query)
    expect(page.locator("h1")).to_have_text("Ce lien n'est plus utilisable")
    check_page(page, f"75-password-reset-link-used-{width}")

    page.goto(live.hub + "/login")
    page.fill("#username", EMAIL)
    page.fill("#password", NEW[width])
    page.click("form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Liste des applications disponibles")
    page.click("text=Connexion, sécurité et paramétrage")
    expect(page.locator("h1")).to_have_text("Connexion, sécurité et paramétrage")
    expect(page.locator("#new_device_alerts")).to_be_checked()
    check_page(page, f"76-security-page-{width}")
    page.locator("label[for=new_device_alerts]").click()
    page.click("button:has-text(\"Enregistrer\")")
    expect(page.locator(".fr-alert--success")).to_contain_text("Vous ne serez plus averti")
    expect(page.locator("#new_device_alerts")).not_to_be_checked()
    check_page(page, f"77-security-page-alerts-off-{width}")
    page.locator("label[for=new_device_alerts]").click()
    page.click("button:has-text(\"Enregistrer\")")
    expect(page.locator("#new_device_alerts")).to_be_checked()
