"""End to end with real processes: a person logged in to APA deletes their account at the
hub (`idp serve`); the hub's outbox pushes the account-purged SET and the back-channel logout
to APA (its toolkit verifies them against the hub's JWKS and answers 202 and 200), and the
person's session at APA is gone."""

from __future__ import annotations

import secrets
import time

import pytest
from sqlalchemy import select

from idp import admin
from idp.storage.models import OutboxMessage
from tests.apa.conftest import SIRET_A, Live
from tests.e2e.conftest import PASSWORD
from tests.oidc_helpers import csrf_token

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("apa")]


def _deliveries(live: Live) -> dict[str, OutboxMessage]:
    with live.hub.rt.db.read() as s:
        rows = list(s.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient == live.apa.settings.client_id)))
        s.expunge_all()
    return {row.channel: row for row in rows}


def test_apa_is_told_and_the_persons_session_there_ends(live: Live) -> None:
    client_id = live.apa.settings.client_id
    admin.update_client(live.hub.rt.db, live.hub.rt.clock.now(), client_id,
                        account_events_uri=f"{live.url}/auth/account-events")
    username = live.hub.user(username=f"citizen-{secrets.token_hex(3)}", siret=SIRET_A,
                             groups=["apa"], population="citizen")
    live.users["citizen"] = username
    browser = live.browser()
    assert live.log_in(browser, "citizen").status_code == 303
    assert browser.get(live.url + "/depot").status_code == 200
    assert live.apa.sessions.count() >= 1
    before = live.apa.sessions.count()

    page = browser.get(live.hub.issuer + "/compte/suppression")
    assert page.status_code == 200, page.text
    deleted = browser.post(live.hub.issuer + "/compte/suppression", data={
        "csrf_token": csrf_token(page.text), "password": PASSWORD})
    assert deleted.status_code == 200 and "Votre compte est supprimé" in deleted.text

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sent = _deliveries(live)
        if {"set", "logout"} <= set(sent) and all(m.sent_at for m in sent.values()):
            break
        time.sleep(0.2)
    sent = _deliveries(live)
    assert set(sent) == {"set", "logout"}
    for message in sent.values():  # acknowledged (202 / 200), not refused nor given up
        assert message.sent_at is not None and message.last_error is None, message.last_error
    assert live.apa.sessions.count() == before - 1
    response = browser.get(live.url + "/depot")
    assert response.status_code == 303  # sent to the login again
