"""Consent: asked once per client and scope, remembered, refusable; forms carry CSRF tokens."""

from __future__ import annotations

from tests.integration.flows import sign_in, tokens_for
from tests.oidc_helpers import (
    auth_request,
    authorize,
    authorize_redirect,
    consent,
    hidden,
    login,
    parse_redirect,
)


def _consent_page(http, client, username, **extra):  # type: ignore[no-untyped-def]
    req = auth_request(client.client_id, client.redirect_uri, **extra)
    response = authorize(http, req)
    response = login(http, username, location=response.headers["location"])
    return req, http.get(response.headers["location"], follow_redirects=False)


def test_consent_page_lists_the_requested_claims(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client(name="APA")
    factories.account("alice")
    _, page = _consent_page(http, client, "alice", scope="openid email")
    assert page.status_code == 200
    assert "APA" in page.text and "<li>Adresse électronique</li>" in page.text


def test_refused_consent_sends_access_denied(http, factories, rt):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    req, page = _consent_page(http, client, "alice")
    response = consent(http, page, decision="deny")
    params = parse_redirect(response.headers["location"])
    assert params["error"] == "access_denied"
    assert params["state"] == req.params["state"] and params["iss"] == rt.settings.issuer


def test_a_consent_answered_cannot_be_answered_again(http, factories):  # type: ignore[no-untyped-def]
    """The code and the session without the request are saved in one transaction; the same
    form posted again finds no request (either decision)."""
    client = factories.client()
    factories.account("alice")
    _, page = _consent_page(http, client, "alice")
    assert "code" in parse_redirect(consent(http, page).headers["location"])
    for decision in ("accept", "deny"):
        again = consent(http, page, decision=decision)
        assert again.status_code == 400 and "location" not in again.headers


def test_consent_is_remembered_for_the_same_scopes(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    sign_in(http, factories, client)
    req = auth_request(client.client_id, client.redirect_uri)
    assert "code" in authorize_redirect(http, req)


def test_a_wider_scope_asks_for_consent_again(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    tokens_for(http, client, "alice", scope="openid")
    req = auth_request(client.client_id, client.redirect_uri, scope="openid phone")
    response = authorize(http, req)
    assert response.status_code == 200 and "/authorize/consent" in response.text


def test_consent_without_csrf_token_is_refused(http, factories):  # type: ignore[no-untyped-def]
    client = factories.client()
    factories.account("alice")
    _, page = _consent_page(http, client, "alice")
    response = http.post("/authorize/consent", data={
        "rid": hidden(page.text, "rid"), "decision": "accept"}, follow_redirects=False)
    assert response.status_code == 403
    assert "location" not in response.headers


def test_two_decisions_racing_for_one_client_are_merged_not_a_500(rt, factories):  # type: ignore[no-untyped-def]
    """Two tabs of one person decide at once for one client: the second INSERT meets the
    first's row once it commits (PostgreSQL) or waits for its write lock (SQLite); both
    decisions end in one merged row, no error. Found by bench/login_load.py (a 500)."""
    import threading

    from idp.storage.repositories import accounts as accounts_repo
    from idp.storage.repositories import consents as consents_repo

    client = factories.client()
    factories.account("alice")
    with rt.db.read() as s:
        account_id = accounts_repo.find_by_login(s, "alice").id
    errors: list[BaseException] = []

    def second_tab() -> None:
        try:
            with rt.db.transaction() as s:
                consents_repo.remember_consent(s, account_id, client.client_id, {"email"}, 2)
        except BaseException as exc:  # reported below
            errors.append(exc)

    with rt.db.transaction() as first:
        consents_repo.remember_consent(first, account_id, client.client_id, {"openid"}, 1)
        thread = threading.Thread(target=second_tab)
        thread.start()
        thread.join(0.5)  # the second decision now waits for the first's row (or lock)
        assert thread.is_alive()
    thread.join(10)
    assert not thread.is_alive() and errors == []
    remembered = consents_repo.remembered_disclosure(rt.db, account_id, client.client_id)
    assert remembered is not None and remembered.scopes == {"openid", "email"}
