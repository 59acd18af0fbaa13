"""Technical users (seed 002): created by the main manager through the hub's registration
API, the secret shown once, its expiry date in the structure's user list, "Mettre à jour le
mot de passe" (new secret shown once, the old refused at once by the hub's token endpoint, the
connector working with the new one), the e-mails to the main manager (creation, renewal, 30
and 7 days before expiry, once per threshold), and every POST route of Chorus guarded."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from clients.chorus.app import create_app
from clients.chorus.connector import CREDENTIALS, DONE
from clients.chorus.models import TechnicalUser
from clients.rp.forms import FORM_GUARD
from tests.chorus.conftest import Live, needs_registration
from tests.chorus.test_chorus_end_to_end import run_connector
from tests.oidc_helpers import csrf_token
from tests.post_routes import post_routes, unguarded

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("chorus")]
DAY = 86400

EXEMPT = {
    **{f"/cpro/{path}": "the invoice API: a bearer access token from the hub authenticates "
                        "each request (RFC 6750 §2.1), not a cookie"
       for path in ("factures/v1/rechercher/recipiendaire", "factures/v1/consulter/recipiendaire",
                    "factures/v1/consulter/historique", "factures/v1/telecharger/groupe",
                    "factures/v1/traiter/recue", "transverses/v1/recuperer/etats/traitement")},
    "/auth/backchannel-logout": "OpenID Connect Back-Channel Logout 1.0 §2.5: the hub posts a "
                                "signed logout token; no browser",
    "/auth/logout": "ends the local session and hands over to the hub's RP-initiated logout",
    "/auth/account-events": "RFC 8935 §2.2: the hub pushes a signed security event token "
                            "(account purged), verified by clients/rp/events.py; no browser",
}


def test_every_post_route_of_chorus_is_guarded_or_exempt(live: Live) -> None:
    routes = post_routes(create_app(live.chorus.settings, live.chorus))
    assert unguarded(routes, FORM_GUARD, EXEMPT) == []
    assert "/structures/{sid:int}/techniques" in {r.path for r in routes}


def mails(live: Live, since: int, to: str | None = None, at_least: int = 1,
          ) -> list:  # type: ignore[type-arg]
    """The e-mails received since `since` (to `to`), once at least `at_least` are there: the
    background delivery may be sending one while the test's own call sends another."""
    deadline = time.monotonic() + 15
    while True:
        found = [m for m in live.sink.messages[since:] if to is None or m["To"] == to]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def body(message) -> str:  # type: ignore[no-untyped-def]
    return message.get_payload(decode=True).decode()


def subject(message) -> str:  # type: ignore[no-untyped-def]
    """The Subject decoded (RFC 2047 encoded words for non-ASCII text)."""
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))


def test_expiry_notices_30_and_7_days_before_once_each(live: Live) -> None:
    service = live.chorus.service
    a = live.structures["A"]
    client_id = f"tech-notice-{time.time_ns()}"
    service.adopt_technical_user(a, client_id, "TECH_NOTICE@cpro.fr",
                                 int(time.time()) + 40 * DAY)
    manager_mail = f"{live.users['manager']}@example.test"
    try:
        start = len(live.sink.messages)
        assert service.send_expiry_notices() == 0  # 40 days left: nothing yet
        live.clock.offset = 11 * DAY  # 29 days left
        assert service.send_expiry_notices() == 1
        assert service.send_expiry_notices() == 0  # once per threshold
        live.clock.offset = 34 * DAY  # 6 days left
        assert service.send_expiry_notices() == 1
        assert service.send_expiry_notices() == 0
        service.deliver_mails()
        found = [m for m in mails(live, start, manager_mail, at_least=2)
                 if "TECH_NOTICE" in body(m)]
        assert len(found) == 2
        assert "expire le" in subject(found[0]) and "(dans 29 jours)" in body(found[0])
        assert "(dans 6 jours)" in body(found[1])
        assert not any("TECH_NOTICE" in body(m) for m in live.sink.messages[start:]
                       if m["To"] != manager_mail)  # the main manager only
    finally:
        live.clock.offset = 0
        with service.db.transaction() as s:
            s.delete(s.get(TechnicalUser, client_id))


def test_late_notice_sends_only_the_nearest_threshold(live: Live) -> None:
    service = live.chorus.service
    client_id = f"tech-late-{time.time_ns()}"
    service.adopt_technical_user(live.structures["A"], client_id, "TECH_LATE@cpro.fr",
                                 int(time.time()) + 5 * DAY)
    try:
        assert service.send_expiry_notices() == 1
        assert service.send_expiry_notices() == 0
        with service.db.read() as s:
            assert s.get(TechnicalUser, client_id).notices_sent == "7,30"  # type: ignore[union-attr]
    finally:
        with service.db.transaction() as s:
            s.delete(s.get(TechnicalUser, client_id))


# With the hub's registration API (RFC 7591) -----------------------------------------------


def shown_secret(page: str) -> tuple[str, str, str]:
    """(client_id, login, secret) of the page shown once."""
    def code(element: str) -> str:
        found = re.search(rf'<code id="{element}">([^<]+)</code>', page)
        assert found, element
        return html.unescape(found.group(1))

    return code("tech-id"), code("tech-login"), code("tech-secret")


def test_seed_002_procedure_end_to_end(live: Live, tmp_path: Path) -> None:
    """Log in as main manager, create the technical user, see its expiry date, renew: the
    new secret shown once, the old one refused at the hub's token endpoint, the connector
    working with the new one; an e-mail to the manager each time."""
    needs_registration(live)
    a = live.structures["A"]
    manager = live.logged_in("manager")
    start = len(live.sink.messages)
    sheet = manager.get(live.url + f"/structures/{a}")
    created = manager.post(live.url + f"/structures/{a}/techniques",
                           data={"csrf_token": csrf_token(sheet.text)})
    assert created.status_code == 200, created.text[:500]
    assert created.headers["cache-control"] == "no-store"
    page = html.unescape(created.text)
    assert "Au vu de la complexité du mot de passe" in page
    client_id, login, secret = shown_secret(created.text)
    assert re.fullmatch(r"TECH_\d+_[0-9A-F]{24}@cpro\.fr", login)
    with live.chorus.db.read() as s:
        row = s.get(TechnicalUser, client_id)
        assert row is not None and secret not in repr(row.__dict__)
    expected = time.strftime("%d/%m/%Y", time.gmtime(time.time() + 365 * DAY))
    listed = html.unescape(manager.get(live.url + f"/structures/{a}").text)
    assert login in listed and expected in listed and secret not in listed
    assert live.token((client_id, secret)).status_code == 200
    assert run_connector(live, tmp_path, (client_id, secret)).returncode == DONE

    renewed = manager.post(live.url + f"/structures/{a}/techniques/{client_id}/mot-de-passe",
                           data={"csrf_token": csrf_token(sheet.text)})
    assert renewed.status_code == 200
    _, _, new_secret = shown_secret(renewed.text)
    assert new_secret != secret
    refused = live.token((client_id, secret))
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert live.token((client_id, new_secret)).status_code == 200
    old = run_connector(live, tmp_path, (client_id, secret))
    assert old.returncode == CREDENTIALS
    assert run_connector(live, tmp_path, (client_id, new_secret)).returncode == DONE
    manager_mail = f"{live.users['manager']}@example.test"
    subjects = [subject(m) for m in mails(live, start, manager_mail, at_least=2)]
    assert any("créé" in s for s in subjects) and any("mis à jour" in s for s in subjects)
    assert not any(secret in body(m) or new_secret in body(m)
                   for m in live.sink.messages[start:])


def test_only_the_main_manager_creates_or_renews(live: Live) -> None:
    needs_registration(live)
    a = live.structures["A"]
    writer = live.logged_in("writer")
    token = csrf_token(writer.get(live.url + "/").text)
    with live.chorus.db.read() as s:
        before = len(s.scalars(select(TechnicalUser)).all())
    for action in (f"/structures/{a}/techniques",
                   f"/structures/{a}/techniques/{live.technical[0]}/mot-de-passe"):
        assert writer.post(live.url + action, data={"csrf_token": token}).status_code == 403
    other = live.logged_in("manager_b")
    token_b = csrf_token(other.get(live.url + "/").text)
    assert other.post(live.url + f"/structures/{a}/techniques",
                      data={"csrf_token": token_b}).status_code == 404
    with live.chorus.db.read() as s:
        assert len(s.scalars(select(TechnicalUser)).all()) == before
    assert live.token(live.technical).status_code == 200  # not renewed away


def test_an_expired_secret_stops_the_connector(live: Live, tmp_path: Path) -> None:
    """A secret registered with a 1-second lifetime: once past, the hub refuses it and the
    connector says so with its own exit status."""
    needs_registration(live)
    expires = int(time.time()) + 2
    answer = live.chorus.service.registration.register("TECH_EXPIRY_TEST@cpro.fr", expires)
    client = (str(answer["client_id"]), str(answer["client_secret"]))
    assert live.token(client).status_code == 200
    time.sleep(3)
    stopped = run_connector(live, tmp_path, client)
    assert stopped.returncode == CREDENTIALS
    assert "expired" in stopped.stderr or "expiré" in stopped.stderr or \
        "Mettre à jour" in stopped.stderr
    live.chorus.service.registration.delete(client[0])
    assert httpx.post(live.hub.issuer + "/token", data={"grant_type": "client_credentials"},
                      auth=client).status_code == 401
