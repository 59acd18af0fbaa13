"""The recovery codes of a new second factor, downloadable (issue 15): "Télécharger" posts to
a route that answers them as a text file only while the session that made them still holds
them (5 minutes, sealed by the secret box), never later, never to another session; the
codes are stored hashed, so nothing else could give them back. "Imprimer" is a self-hosted
script under the CSP."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from idp.web.pages.second_factor import CODES_DOWNLOAD_SECONDS
from tests.conftest import ISSUER
from tests.factories import PASSWORD
from tests.integration.test_second_factor import code_for, enable
from tests.oidc_helpers import csrf_token, login

CODE = re.compile(r"<code>([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})</code>")


@pytest.fixture
def settings(settings, smtp):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_port=smtp.port, outbox_interval=0.0)


def _enabled(http, factories, clock):  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", email="camille@example.test")
    login(http, "cbernard-xt")
    _, page = enable(http, PASSWORD, lambda secret: code_for(secret, clock))
    assert page.status_code == 200
    return page


def test_the_codes_just_made_download_as_a_text_file(http, factories, rt, clock) -> None:  # type: ignore[no-untyped-def]
    page = _enabled(http, factories, clock)
    codes = CODE.findall(page.text)
    assert len(codes) == 10
    assert 'action="/compte/double-authentification/codes"' in page.text
    assert "Imprimer" in html.unescape(page.text) and "/static/print-button.js" in page.text
    got = http.post("/compte/double-authentification/codes",
                    data={"csrf_token": csrf_token(page.text)})
    assert got.status_code == 200
    assert got.headers["content-type"] == "text/plain; charset=utf-8"
    assert got.headers["content-disposition"] == 'attachment; filename="codes-de-secours.txt"'
    assert got.headers["cache-control"] == "no-store"
    assert [line for line in got.text.splitlines() if CODE.fullmatch(f"<code>{line}</code>")
            ] == codes
    assert "cbernard-xt" in got.text
    # The session row keeps them sealed, never in clear.
    with rt.db.read() as s:
        rows = s.execute(text("SELECT data FROM browser_sessions")).scalars().all()
    assert rows and not any(c in str(row) for row in rows for c in codes)


def test_the_codes_are_forgotten_after_a_few_minutes(http, factories, rt, clock) -> None:  # type: ignore[no-untyped-def]
    page = _enabled(http, factories, clock)
    token = csrf_token(page.text)
    clock.advance(CODES_DOWNLOAD_SECONDS + 1)
    gone = http.post("/compte/double-authentification/codes", data={"csrf_token": token})
    assert gone.status_code == 410
    assert "ne peuvent plus être téléchargés" in html.unescape(gone.text)
    assert not CODE.search(gone.text)
    clock.advance(-CODES_DOWNLOAD_SECONDS - 1)  # even back in time: forgotten for good
    again = http.post("/compte/double-authentification/codes", data={"csrf_token": token})
    assert again.status_code == 410


def test_other_sessions_and_forged_forms_get_nothing(http, app, factories, rt, clock) -> None:  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", email="camille@example.test")
    # Another browser: a client without its own lifespan (the app's runtime is `http`'s).
    other = TestClient(app, base_url=ISSUER)  # the same person, in another browser
    login(other, "cbernard-xt")
    other_token = csrf_token(other.get("/compte/double-authentification").text)
    login(http, "cbernard-xt")
    _, page = enable(http, PASSWORD, lambda secret: code_for(secret, clock))
    token = csrf_token(page.text)
    assert http.post("/compte/double-authentification/codes",
                     data={"csrf_token": "x" * len(token)}).status_code == 403
    elsewhere = other.post("/compte/double-authentification/codes",
                           data={"csrf_token": other_token})
    assert elsewhere.status_code == 410 and not CODE.search(elsewhere.text)
    stranger = TestClient(app, base_url=ISSUER)  # not logged in
    refused = stranger.post("/compte/double-authentification/codes",
                            data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code in (303, 403) and not CODE.search(refused.text)


def test_turning_the_second_factor_off_forgets_them(http, factories, rt, clock) -> None:  # type: ignore[no-untyped-def]
    factories.account("cbernard-xt", email="camille@example.test")
    login(http, "cbernard-xt")
    secret, page = enable(http, PASSWORD, lambda secret: code_for(secret, clock))
    token = csrf_token(page.text)
    clock.advance(30)  # the enrolment spent the current step's code
    off = http.post("/compte/double-authentification", data={
        "csrf_token": token, "action": "disable", "current_password": PASSWORD,
        "code": code_for(secret, clock)})
    assert off.status_code == 200 and "désactivée" in html.unescape(off.text)
    assert http.post("/compte/double-authentification/codes",
                     data={"csrf_token": token}).status_code == 410
