""""Retirer l'accès" end to end: the hub process (`idp serve`) and APA under uvicorn. A person
logged in to APA withdraws APA's access from the hub's "Applications autorisées": APA
receives the back-channel logout and its session ends, its tokens are dead at the hub, and
the next login to APA asks for the consent again; the hub's history shows it all."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from sqlalchemy import select

from idp.storage.models import AuditEvent
from tests.apa.conftest import Live
from tests.oidc_helpers import csrf_token

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("apa")]


def _history_events(live: Live, browser: httpx.Client) -> list[str]:
    page = browser.get(live.hub.issuer + "/compte/historique")
    assert page.status_code == 200
    body = page.text.split("<tbody>", 1)[1]
    return [re.sub(r"\s+", " ", cells[1]).strip()
            for cells in (re.findall(r"<td>(.*?)</td>", row, re.S)
                          for row in re.findall(r"<tr>(.*?)</tr>", body, re.S))
            if len(cells) == 6]


def test_withdrawing_apas_access_ends_its_session_and_asks_consent_again(live: Live) -> None:
    browser = live.browser()
    assert live.log_in(browser, "rep_b").status_code == 303
    assert browser.get(live.url + "/depot").status_code == 200
    client_id = live.apa.settings.client_id

    listed = browser.get(live.hub.issuer + "/compte/applications")
    assert listed.status_code == 200 and f"application={client_id}" in listed.text
    confirm = browser.get(live.hub.issuer + "/compte/applications/retirer",
                          params={"application": client_id})
    assert confirm.status_code == 200
    marker = _last_event_id(live)
    done = browser.post(live.hub.issuer + "/compte/applications/retirer", data={
        "csrf_token": csrf_token(confirm.text), "application": client_id})
    assert done.status_code == 303

    # APA got the logout token and ended the session it held.
    deadline = time.monotonic() + 10
    while browser.get(live.url + "/depot").status_code == 200:
        assert time.monotonic() < deadline, "the APA session was not ended"
        time.sleep(0.1)
    assert browser.get(live.url + "/depot").headers["location"].startswith("/auth/login")
    assert _wait_event(live, marker, "logout.backchannel").detail == {"delivered": True}

    # The hub session goes on; the next login to APA shows the consent page again.
    response = browser.get(live.url + "/depot")
    response = browser.get(live.url + response.headers["location"])
    assert response.status_code == 302
    page = browser.get(response.headers["location"])
    while page.status_code in (302, 303):
        page = browser.get(httpx.URL(str(page.url)).join(page.headers["location"]))
    assert 'action="/authorize/consent"' in page.text, page.text[:500]

    deadline = time.monotonic() + 10
    while "Accès retiré" not in _history_events(live, browser):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    events = _history_events(live, browser)
    # Within one second the history follows the order events reached the table: APA's
    # buffered "data read" event of the same second may be written after the withdrawal.
    # events of that same second (login, data given, data read) may all come first.
    assert "Accès retiré" in events[:4] and "Connexion" in events


def _last_event_id(live: Live) -> int:
    with live.hub.rt.db.read() as s:
        return int(s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0)


def _wait_event(live: Live, after: int, event: str) -> AuditEvent:
    deadline = time.monotonic() + 10
    while True:
        with live.hub.rt.db.read() as s:
            found = s.scalars(select(AuditEvent).where(
                AuditEvent.id > after, AuditEvent.event == event)).first()
            if found is not None:
                s.expunge(found)
                return found
        assert time.monotonic() < deadline, f"no {event}"
        time.sleep(0.1)
