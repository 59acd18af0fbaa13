"""APA with the hub, both under uvicorn: login through the hub, deposit, response produced,
withdrawal (first download set once), histories, expiry after 21 days and purge,
back-channel logout, RP-initiated logout, refusal of a user not entitled, and the API with
a valid, an expired and a revoked token (issue 5)."""

from __future__ import annotations

import hashlib
import html
import itertools
import re
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from clients.apa.models import Deletion, Deposit
from idp.clock import FrozenClock
from idp.oidc.tokens import TokenService
from tests.apa.conftest import SIRET_A, SIRET_B, Live
from tests.oidc_helpers import csrf_token

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("apa")]
_seq = itertools.count(1)


def call_file(siret: str = SIRET_A, *, year: int = 2026, people: int = 2,
              name: str | None = None) -> tuple[str, bytes]:
    n = next(_seq)
    stamp = f"{year}0315{10 + n // 3600 % 10:02d}{n // 60 % 60:02d}{n % 60:02d}"
    body = "".join(
        f"<beneficiaire><reference>D-{i}</reference><numeroFiscal>12345678901{i:02d}"
        f"</numeroFiscal><nom>MARTIN</nom><prenom>Alix</prenom>"
        f"<dateNaissance>1941-03-12</dateNaissance></beneficiaire>" for i in range(people))
    data = f'<?xml version="1.0"?><appel siret="{siret}" annee="{year}">{body}</appel>'
    return name or f"{year}_{siret}_{stamp}.xml", data.encode()


def deposit(live: Live, browser: httpx.Client, name: str, data: bytes) -> httpx.Response:
    page = browser.get(live.url + "/depot")
    return browser.post(live.url + "/depot", data={"csrf_token": csrf_token(page.text)},
                        files={"fichier": (name, data, "text/xml")})


def text_of(response: httpx.Response) -> str:
    """The page's text, long names whole again (the tables let them wrap with <wbr>)."""
    return html.unescape(response.text.replace("<wbr>", ""))


def wait_for_response(live: Live, browser: httpx.Client, name: str) -> str:
    """The withdrawal link of `name`'s response file, once processed."""
    response_name = name.removesuffix(".xml") + "_REP.xml"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        page = browser.get(live.url + "/retrait")
        match = re.search(r'href="(/retrait/[0-9a-f]{32})" download title="[^"]* ' +
                          re.escape(response_name) + '"', page.text)
        if match:
            return match.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no response file for {name}")


@pytest.fixture
def browser(live: Live) -> httpx.Client:
    browser = live.browser()
    assert live.log_in(browser).status_code == 303
    return browser


def test_login_through_the_hub_shows_the_connection_parameters(live: Live, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.get(live.url + "/depot")
    assert page.status_code == 200
    text = text_of(page)
    assert "Paramètres de connexion" in text and live.users["rep_a"] in text
    assert SIRET_A in text
    for tab in ("Dépôt fichiers d'appel", "Retrait fichiers réponse", "Historique des dépôts",
                "Historique des retraits"):
        assert tab in text
    cookies = {c.name for c in browser.cookies.jar}
    assert "apa_session" in cookies and "idp_session" in cookies


def test_deposit_response_withdrawal_and_histories(live: Live, browser) -> None:  # type: ignore[no-untyped-def]
    name, data = call_file()
    response = deposit(live, browser, name, data)
    assert response.status_code == 303
    done = text_of(browser.get(live.url + response.headers["location"]))
    deposit_id = re.search(r"identifiant du dépôt ([0-9a-f]{32})", done).group(1)  # type: ignore[union-attr]
    with live.apa.db.read() as s:
        stored = s.get(Deposit, deposit_id)
    assert stored.internal_name == f"{name}.{SIRET_A}" and stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert (live.files_dir / "deposits" / f"{deposit_id}.xml").read_bytes() == data

    link = wait_for_response(live, browser, name)
    first = browser.get(live.url + link)
    assert first.status_code == 200
    assert b'statut="accepte"' in first.content and b"revenuFiscalReference" in first.content
    assert first.headers["content-disposition"].endswith('_REP.xml"')
    row = re.compile(re.escape(name.removesuffix(".xml")) + r"_REP\.xml</td>.*?</tr>", re.S)
    listed = row.search(text_of(browser.get(live.url + "/retrait"))).group(0)  # type: ignore[union-attr]
    first_day = re.findall(r"\d{2}/\d{2}/\d{4}", listed)
    assert len(first_day) == 3  # made available, expiry, first download
    live.clock.offset += 86400  # a day later, a second download keeps the first date
    assert browser.get(live.url + link).status_code == 200
    again = row.search(text_of(browser.get(live.url + "/retrait"))).group(0)  # type: ignore[union-attr]
    assert re.findall(r"\d{2}/\d{2}/\d{4}", again)[2] == first_day[2]
    live.clock.offset -= 86400

    deposits = text_of(browser.get(live.url + "/historique/depots"))
    assert f"{name}.{SIRET_A}" in deposits and deposit_id in deposits
    assert "durant les 12 derniers mois" in deposits
    assert deposit_id in text_of(browser.get(live.url + "/historique/depots?periode=veille"))
    downloads = text_of(browser.get(live.url + "/historique/retraits"))
    assert downloads.count(name.removesuffix(".xml") + "_REP.xml") >= 2
    assert live.users["rep_a"] in downloads


@pytest.mark.parametrize(("name", "content", "message"), [
    ("appel.xml", None, "Le nom du fichier doit être"),
    ("2026_21750001600018_20260315143000.xml", None, "n'est pas valide"),
    (None, b"<appel siret=", "n'est pas un XML bien formé"),
    (None, b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
           b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><appel>&lol2;</appel>',
     "déclare une DTD ou des entités"),
    (None, b'<?xml version="1.0"?><!DOCTYPE appel [<!ENTITY xxe SYSTEM '
           b'"file:///etc/passwd">]><appel>&xxe;</appel>', "déclare une DTD ou des entités"),
    (None, b'<?xml version="1.0"?><appel siret="21750001600019" annee="2026">'
           b"<beneficiaire><reference>x</reference></beneficiaire></appel>",
     "Bénéficiaire 1 : <numeroFiscal> est absent ou trop long."),
])
def test_bad_files_are_refused_with_a_clear_message_and_nothing_kept(
        live: Live, browser, name, content, message) -> None:  # type: ignore[no-untyped-def]
    good_name, good_data = call_file()
    with live.apa.db.read() as s:
        before = len(s.scalars(select(Deposit)).all())
    response = deposit(live, browser, name or good_name, content or good_data)
    assert response.status_code == 400
    assert message in text_of(response)
    with live.apa.db.read() as s:
        assert len(s.scalars(select(Deposit)).all()) == before


def test_a_foreign_siret_and_a_file_too_large_are_refused(live: Live, browser) -> None:  # type: ignore[no-untyped-def]
    name, data = call_file(SIRET_B)
    response = deposit(live, browser, name, data)
    assert response.status_code == 400
    assert f"Vous ne représentez pas le SIRET {SIRET_B}" in text_of(response)
    name, data = call_file(people=200)
    response = deposit(live, browser, name, data)
    assert response.status_code == 413
    assert "Le fichier dépasse la taille autorisée" in text_of(response)


def test_a_deposit_without_the_form_token_is_refused(live: Live, browser) -> None:  # type: ignore[no-untyped-def]
    name, data = call_file()
    response = browser.post(live.url + "/depot", files={"fichier": (name, data, "text/xml")})
    assert response.status_code == 403


def test_an_upload_cut_in_the_middle_keeps_nothing(live: Live, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.get(live.url + "/depot")
    token = csrf_token(page.text)
    name, data = call_file()
    boundary = "cut-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; "
            f"filename=\"{name}\"\r\nContent-Type: text/xml\r\n\r\n").encode() + data
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies.jar
                       if c.name.startswith("apa_session"))
    port = urlsplit(live.url).port
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall((f"POST /depot HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
                      f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                      f"Content-Length: {len(body) + 5000}\r\n\r\n").encode() + body[:-20])
        time.sleep(0.3)  # the connection drops before the announced length
    time.sleep(0.5)
    with live.apa.db.read() as s:
        assert not [d for d in s.scalars(select(Deposit)).all() if d.external_name == name]
    leftovers = [p for p in (live.files_dir / "deposits").iterdir() if p.name.startswith(".tmp")]
    assert leftovers == []


def test_another_departments_and_expired_files_answer_404_then_are_purged(  # type: ignore[no-untyped-def]
        live: Live, browser) -> None:
    name, data = call_file()
    deposit(live, browser, name, data)
    link = wait_for_response(live, browser, name)
    other = live.browser()
    assert live.log_in(other, "rep_b").status_code == 303
    assert other.get(live.url + link).status_code == 404
    assert name.removesuffix(".xml") not in text_of(other.get(live.url + "/retrait"))

    live.clock.offset += 22 * 86400
    try:
        assert browser.get(live.url + link).status_code == 404
        assert name.removesuffix(".xml") + "_REP" not in text_of(
            browser.get(live.url + "/retrait"))
        counts = live.apa.service.purge()
        assert counts["response_files"] >= 1
        assert not (live.files_dir / "responses" / f"{link.rsplit('/', 1)[1]}.xml").exists()
        with live.apa.db.read() as s:
            names = [d.name for d in s.scalars(select(Deletion)).all()]
        assert name.removesuffix(".xml") + "_REP.xml" in names
    finally:
        live.clock.offset -= 22 * 86400


def test_a_user_not_entitled_is_refused_by_the_hub(live: Live) -> None:
    browser = live.browser()
    response = browser.get(live.url + "/depot")
    response = browser.get(live.url + response.headers["location"])
    browser.base_url = live.hub.issuer  # type: ignore[assignment]
    page = browser.get(response.headers["location"])
    page = browser.get(page.headers["location"])
    page = browser.post("/login", data={
        "csrf_token": csrf_token(page.text), "username": live.users["outsider"],
        "password": "Motdepasse-2026!", "rid": re.search(r'name="rid" value="([^"]+)"',
                                                         page.text).group(1)})  # type: ignore[union-attr]
    refusal = browser.get(page.headers["location"])
    assert refusal.status_code == 403
    assert "Accès refusé" in text_of(refusal)


def test_hub_logout_ends_the_apa_session_by_back_channel(live: Live, browser) -> None:  # type: ignore[no-untyped-def]
    assert browser.get(live.url + "/depot").status_code == 200
    page = browser.get(live.hub.issuer + "/logout")
    browser.post(live.hub.issuer + "/logout", data={"csrf_token": csrf_token(page.text),
                                                    "confirm": "1"})
    deadline = time.monotonic() + 5
    while browser.get(live.url + "/depot").status_code == 200:
        assert time.monotonic() < deadline, "the APA session was not ended"
        time.sleep(0.1)
    assert browser.get(live.url + "/depot").headers["location"].startswith("/auth/login")


def test_apa_logout_ends_the_hub_session_too(live: Live, browser) -> None:  # type: ignore[no-untyped-def]
    response = browser.get(live.url + "/auth/logout")
    assert response.status_code == 303
    assert response.headers["location"].startswith(live.hub.issuer + "/logout?")
    assert "id_token_hint=" in response.headers["location"]
    page = browser.get(response.headers["location"])
    if page.status_code == 200 and 'name="confirm"' in page.text:
        page = browser.post(live.hub.issuer + "/logout", data={
            "csrf_token": csrf_token(page.text), "confirm": "1"})
    assert browser.get(live.url + "/depot").status_code == 303
    hub_home = browser.get(live.hub.issuer + "/")
    assert "Liste des applications" not in text_of(hub_home)
    # The hub sends the browser back with our state: APA says "Vous êtes déconnecté", once.
    assert page.status_code in (302, 303)
    back = page.headers["location"]
    assert back.startswith(live.url + "/?") and "state=" in back
    stranger = live.browser()  # the link alone, without this browser's cookie: nothing shown
    assert stranger.get(back).status_code == 303
    assert browser.get(live.url + "/?state=forged").status_code == 303
    notice = browser.get(back)
    assert notice.status_code == 200
    assert "Vous êtes déconnecté" in text_of(notice) and "fr-alert--success" in notice.text
    assert "/auth/logout" not in notice.text
    assert browser.get(back).status_code == 303  # once


# API -------------------------------------------------------------------------------------


def api(live: Live, token: str, method: str = "GET", path: str = "/api/reponses", **kw):  # type: ignore[no-untyped-def]
    return httpx.request(method, live.url + path, headers={"Authorization": f"Bearer {token}"},
                         timeout=10, **kw)


def test_api_with_a_technical_clients_token(live: Live) -> None:
    token = live.token(live.connector)
    name, data = call_file()
    made = api(live, token, "POST", "/api/depots", files={"fichier": (name, data, "text/xml")})
    assert made.status_code == 201, made.text
    assert made.json()["nom_interne"] == f"{name}.{SIRET_A}"
    assert re.fullmatch(r"[0-9a-f]{32}", made.json()["id"])
    deadline = time.monotonic() + 10
    while True:
        listed = [r for r in api(live, token).json()["reponses"]
                  if r["nom"] == name.removesuffix(".xml") + "_REP.xml"]
        if listed or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    [entry] = listed
    file = api(live, token, path=f"/api/reponses/{entry['id']}")
    assert file.status_code == 200 and file.content.startswith(b"<?xml")
    refused = api(live, token, "POST", "/api/depots",
                  files={"fichier": (*call_file(SIRET_B)[0:2], "text/xml")})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_file"
    assert "Vous ne représentez pas le SIRET" in refused.json()["message"]


def test_api_with_a_users_token_gets_the_siret_from_the_hub(live: Live) -> None:
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    from tests.e2e.browsing import log_in_and_consent

    client_id, secret = live.software
    verifier = "v" * 50
    with live.hub.browser() as browser:
        location = log_in_and_consent(browser, "/authorize?" + str(httpx.QueryParams({
            "response_type": "code", "client_id": client_id, "scope": "openid siret",
            "redirect_uri": "http://127.0.0.1:9999/callback", "state": "s", "nonce": "n",
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256"})), live.users["rep_b"], "http://127.0.0.1:9999/")
    code = httpx.QueryParams(location.split("?", 1)[1])["code"]
    tokens = httpx.post(live.hub.issuer + "/token", data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": "http://127.0.0.1:9999/callback"}, auth=(client_id, secret)).json()
    name, data = call_file(SIRET_B)
    made = api(live, tokens["access_token"], "POST", "/api/depots",
               files={"fichier": (name, data, "text/xml")})
    assert made.status_code == 201, made.text


def test_api_refuses_expired_revoked_foreign_and_missing_tokens(live: Live) -> None:
    missing = httpx.get(live.url + "/api/reponses")
    assert missing.status_code == 401 and missing.json()["error"] == "invalid_request"
    token = live.token(live.connector)
    assert api(live, token).status_code == 200

    past = FrozenClock(int(time.time()) - 3600)
    service = TokenService(live.hub.rt.settings, live.hub.rt.keys, past)
    expired, _ = service.access_token(client_id=live.connector[0], audience=("apa-api",),
                                      scope="apa", subject=live.connector[0])
    response = api(live, expired)
    assert response.status_code == 401 and "expired" in response.headers["www-authenticate"]

    wrong_audience, _ = TokenService(live.hub.rt.settings, live.hub.rt.keys,
                                     FrozenClock(int(time.time()))).access_token(
        client_id=live.connector[0], audience=("chorus-api",), scope="apa",
        subject=live.connector[0])
    assert api(live, wrong_audience).status_code == 401

    revoked = httpx.post(live.hub.issuer + "/revoke", data={"token": token},
                         auth=live.connector)
    assert revoked.status_code == 200
    response = api(live, token)
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"


def test_an_expired_access_token_is_refreshed_and_a_refused_refresh_ends_the_session(  # type: ignore[no-untyped-def]
        live: Live, browser) -> None:
    from sqlalchemy import update

    from clients.rp.sessions import RpSession

    cookie = next(c.value for c in browser.cookies.jar if c.name == "apa_session")
    with live.apa.db.read() as s:
        row = s.get(RpSession, hashlib.sha256(cookie.encode()).hexdigest())
    session = live.apa.sessions.load(cookie, int(time.time()))
    old_access, old_refresh = session.access_token, session.refresh_token
    assert old_refresh, "APA holds a refresh token"
    # Stored encrypted, not in clear.
    assert old_refresh not in row.refresh_token and old_access not in row.access_token
    with live.apa.db.transaction() as s:
        s.execute(update(RpSession).where(RpSession.id_hash == row.id_hash)
                  .values(access_expires_at=0))
    assert browser.get(live.url + "/depot").status_code == 200
    fresh = live.apa.sessions.load(cookie, int(time.time()))
    assert fresh.access_token != old_access and fresh.access_expires_at > time.time()

    # The hub refuses the refresh (the grant is revoked): the local session ends.
    httpx.post(live.hub.issuer + "/revoke", data={"token": fresh.refresh_token},
               auth=(live.apa.settings.client_id, live.apa.settings.client_secret))
    with live.apa.db.transaction() as s:
        s.execute(update(RpSession).where(RpSession.id_hash == row.id_hash)
                  .values(access_expires_at=0))
    response = browser.get(live.url + "/depot")
    assert response.status_code == 303 and response.headers["location"].startswith("/auth/login")


def test_the_page_asked_before_login_is_only_ever_a_local_path(live: Live) -> None:
    from tests.e2e.browsing import log_in_and_consent

    browser = live.browser()
    response = browser.get(live.url + "/auth/login?next=//evil.example/depot")
    browser.base_url = live.hub.issuer  # type: ignore[assignment]
    location = log_in_and_consent(browser, response.headers["location"], live.users["rep_a"],
                                  live.url + "/auth/callback")
    assert browser.get(location).headers["location"] == "/"
