"""Deletion of an account by its owner, `/compte/suppression` (seed 004 §7), and by the
operator's command: the applications that knew the person are told through the outbox in
the deletion's transaction (back-channel logout, account-purged SET with the `sub` each
knows), its tokens no longer work, its rows are gone, its address is blocked, its audit trail
is kept without identity, and a last e-mail confirms it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, select, text

from idp.accounts import blocked_addresses
from idp.oidc import build_authorization_server
from idp.oidc.tokens import ACCOUNT_PURGED_EVENT, BACKCHANNEL_LOGOUT_EVENT
from idp.portal.deletion import delete_account, former_account_ref
from idp.runtime import Runtime
from idp.storage.models import AuditEvent, Base, OutboxMessage
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import outbox as outbox_repo
from tests.factories import PASSWORD, Factories
from tests.integration.flows import decode_jwt, introspect, tokens_for
from tests.oidc_helpers import csrf_token

EVENTS = "https://app.example/events"
LOGOUT = "https://app.example/logout"


def _citizen(factories: Factories, username: str = "alice", **options: object) -> dict:
    return factories.account(username, population="citizen", email=f"{username}@example.test",
                             **options)


def _account_id(rt: Runtime, username: str) -> int | None:
    with rt.db.read() as s:
        account = accounts_repo.find_by_login(s, username)
        return account.id if account else None


def _delete_page(http, password: str = PASSWORD, token: str | None = None):  # type: ignore[no-untyped-def]
    page = http.get("/compte/suppression")
    assert page.status_code == 200, page.text
    return http.post("/compte/suppression", data={
        "csrf_token": token if token is not None else csrf_token(page.text),
        "password": password}, follow_redirects=False)


def _outbox(rt: Runtime, channel: str) -> list[OutboxMessage]:
    with rt.db.read() as s:
        rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.channel == channel)
                              .order_by(OutboxMessage.id)))
        s.expunge_all()
        return rows


def _rows_referring_to(rt: Runtime, account_id: int) -> dict[str, int]:
    """Rows of every table with a column referring to accounts.id, and session_clients."""
    found = {}
    with rt.db.read() as s:
        for table in Base.metadata.sorted_tables:
            columns = [fk.parent.name for fk in table.foreign_keys
                       if fk.column.table.name == "accounts"]
            if table.name in ("session_clients", "audit_events"):
                columns = ["account_id"]
            for column in columns:
                count = s.execute(text(f"SELECT count(*) FROM {table.name} "
                                       f"WHERE {column} = :id"), {"id": account_id}).scalar()
                if count:
                    found[f"{table.name}.{column}"] = count
    return found


def test_every_table_referring_to_accounts_cascades(rt: Runtime) -> None:
    """A new table referring to accounts must go with the account (or be handled by
    storage/repositories/deletion.py): its foreign key says ON DELETE CASCADE."""
    engine = rt.db.engine
    for table in inspect(engine).get_table_names():
        for fk in inspect(engine).get_foreign_keys(table):
            if fk["referred_table"] == "accounts":
                assert (fk.get("options") or {}).get("ondelete", "").upper() == "CASCADE", table


def test_the_owner_deletes_the_account_and_every_application_is_told(
        rt: Runtime, factories: Factories, http) -> None:  # type: ignore[no-untyped-def]
    public = factories.client("public-app", account_events_uri=EVENTS,
                              backchannel_logout_uri=LOGOUT)
    pairwise = factories.client("pairwise-app", subject_type="pairwise",
                                account_events_uri=EVENTS)
    quiet = factories.client("quiet-app")  # registered neither URI
    _citizen(factories)
    account_id = _account_id(rt, "alice")
    assert account_id is not None
    tokens = tokens_for(http, public, "alice", scope="openid offline_access")
    pairwise_sub = decode_jwt(tokens_for(http, pairwise, "alice")["id_token"])[1]["sub"]
    tokens_for(http, quiet, "alice")
    public_sub = decode_jwt(tokens["id_token"])[1]["sub"]
    assert introspect(http, public, tokens["access_token"])["active"] is True
    rt.audit.flush()

    response = _delete_page(http)
    assert response.status_code == 200
    assert "Votre compte est supprimé" in response.text
    assert "idp_session" in response.headers.get("set-cookie", "")  # the cookie is cleared

    assert _account_id(rt, "alice") is None
    assert _rows_referring_to(rt, account_id) == {}
    # Told through the outbox, with the sub each application knows.
    logouts = _outbox(rt, "logout")
    assert [m.recipient for m in logouts] == ["public-app"]
    logout = json.loads(logouts[0].body)
    assert logout["sub"] == public_sub and "sid" not in logout
    assert BACKCHANNEL_LOGOUT_EVENT in logout["events"]
    events = {m.recipient: json.loads(m.body) for m in _outbox(rt, "set")}
    assert set(events) == {"public-app", "pairwise-app"}
    for client_id, sub in (("public-app", public_sub), ("pairwise-app", pairwise_sub)):
        assert events[client_id]["aud"] == client_id
        assert events[client_id]["events"][ACCOUNT_PURGED_EVENT]["subject"] == {
            "format": "iss_sub", "iss": rt.settings.issuer, "sub": sub}
    assert pairwise_sub != public_sub
    # Its tokens no longer work.
    assert introspect(http, public, tokens["access_token"]) == {"active": False}
    refreshed = http.post("/token", data={"grant_type": "refresh_token",
                                          "refresh_token": tokens["refresh_token"]},
                          auth=(public.client_id, public.secret))
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    assert http.get("/userinfo", headers={
        "Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401
    # Logged out: the space asks for a login.
    assert http.get("/", follow_redirects=False).status_code in (200, 303)
    assert "alice" not in http.get("/").text
    # The address is blocked, a last e-mail confirms the deletion.
    with rt.db.read() as s:
        assert blocked_addresses.is_blocked(s, rt.keys, "Alice@Example.test", rt.clock.now())
        mails = outbox_repo.messages_to(s, "alice@example.test")
    assert [m.subject for m in mails if m.sent_at is None] == ["Votre compte a été supprimé"]


def test_the_audit_trail_is_kept_without_identity(
        rt: Runtime, factories: Factories, http) -> None:  # type: ignore[no-untyped-def]
    client = factories.client("app")
    _citizen(factories)
    account_id = _account_id(rt, "alice")
    with rt.db.read() as s:
        subject = accounts_repo.find_by_login(s, "alice").subject
    tokens_for(http, client, "alice")
    assert _delete_page(http).status_code == 200
    rt.audit.flush()
    ref = former_account_ref(build_authorization_server(rt), subject)
    with rt.db.read() as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        mine = [e for e in events if (e.detail or {}).get("account_ref") == ref]
        names = [e.event for e in mine]
        assert "login.success" in names and "data_transfer_consent" in names
        assert "account.deleted" in names
        assert all(e.account_id is None and e.ip is None for e in mine)
        assert all(e.account_id != account_id for e in events)
        assert all("sid" not in e.detail for e in mine)
        transfer = next(e for e in mine if e.event == "data_transfer_consent")
        assert transfer.client_id == "app" and transfer.detail["claims"]
        deleted = next(e for e in mine if e.event == "account.deleted")
        assert deleted.detail["reason"] == "owner" and deleted.detail["clients"] == 1


def test_a_wrong_password_deletes_nothing_and_counts_as_a_failure(
        rt: Runtime, factories: Factories, http) -> None:  # type: ignore[no-untyped-def]
    _citizen(factories)
    tokens_for(http, factories.client("app"), "alice")
    response = _delete_page(http, password="wrong-password")
    assert response.status_code == 400
    assert "Le mot de passe est incorrect." in response.text
    assert _account_id(rt, "alice") is not None
    rt.audit.flush()
    with rt.db.read() as s:
        assert s.scalar(select(AuditEvent.id).where(
            AuditEvent.event == "reauthentication.failure")) is not None


@pytest.mark.parametrize("password", ["", "x" * 100_000, "nul\x00byte", "é\"'<>"])
def test_hostile_passwords_are_refused_with_a_clear_answer(
        rt: Runtime, factories: Factories, http, password: str) -> None:  # type: ignore[no-untyped-def]
    _citizen(factories)
    tokens_for(http, factories.client("app"), "alice")
    response = _delete_page(http, password=password)
    assert 400 <= response.status_code < 500
    assert _account_id(rt, "alice") is not None


def test_a_form_without_its_token_deletes_nothing(
        rt: Runtime, factories: Factories, http) -> None:  # type: ignore[no-untyped-def]
    _citizen(factories)
    tokens_for(http, factories.client("app"), "alice")
    assert _delete_page(http, token="forged").status_code == 403
    assert _account_id(rt, "alice") is not None


def test_a_logged_out_visitor_is_sent_to_the_login(http) -> None:  # type: ignore[no-untyped-def]
    assert http.get("/compte/suppression", follow_redirects=False).headers[
        "location"] == "/login"


def test_an_organisations_account_is_not_deleted_from_the_page(
        rt: Runtime, factories: Factories, http) -> None:  # type: ignore[no-untyped-def]
    factories.account("agent")  # population portal
    tokens_for(http, factories.client("app"), "agent")
    page = http.get("/compte/suppression")
    assert "géré par votre organisation" in page.text and 'name="password"' not in page.text
    response = http.post("/compte/suppression", data={
        "csrf_token": csrf_token(http.get("/compte/mot-de-passe").text),
        "password": PASSWORD})
    assert response.status_code == 403
    assert _account_id(rt, "agent") is not None


def _federated_session(rt: Runtime, app, http, username: str) -> None:  # type: ignore[no-untyped-def]
    """A session as a login through an FI leaves it (the FI itself is tested elsewhere)."""
    inner = app
    while not hasattr(inner, "state"):  # the middleware layers around the Starlette app
        inner = inner.app
    hub = inner.state.hub
    with rt.db.transaction() as s:
        account = accounts_repo.find_by_login(s, username)
        accounts_repo.set_password_hash(s, account.id, "!unusable")
        s.expunge(account)
    session = hub.sessions.log_in(None, account, "eidas1", ("pwd",),
                                  {"federation": {"provider_id": "fi-test", "id_token": "x"}})
    http.cookies.set(rt.settings.session_cookie, session.id)


def test_an_account_without_password_confirms_by_a_recent_fi_login(
        rt: Runtime, factories: Factories, app, http) -> None:  # type: ignore[no-untyped-def]
    _citizen(factories, "fc-citizen")
    _federated_session(rt, app, http, "fc-citizen")
    page = http.get("/compte/suppression")
    assert 'name="password"' not in page.text
    response = http.post("/compte/suppression", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 200 and _account_id(rt, "fc-citizen") is None


def test_an_old_fi_login_is_asked_again(
        rt: Runtime, factories: Factories, app, http) -> None:  # type: ignore[no-untyped-def]
    _citizen(factories, "fc-citizen")
    _federated_session(rt, app, http, "fc-citizen")
    rt.clock.advance(301)
    page = http.get("/compte/suppression")
    assert "/connexion/choix?idp_hint=" not in page.text  # no such FI registered here
    assert 'href="/connexion/choix?"' in page.text and 'name="csrf_token"' not in page.text
    token = csrf_token(http.get("/compte/mot-de-passe").text)  # a form posted anyway
    response = http.post("/compte/suppression", data={"csrf_token": token})
    assert response.status_code == 400 and _account_id(rt, "fc-citizen") is not None


def test_the_operator_deletes_an_account_and_the_applications_are_told(
        rt: Runtime, factories: Factories, http) -> None:  # type: ignore[no-untyped-def]
    client = factories.client("app", account_events_uri=EVENTS)
    factories.account("agent")
    tokens_for(http, client, "agent")
    server = build_authorization_server(rt)
    deleted = delete_account(server, _account_id(rt, "agent"), reason="operator",
                             notification=None)
    assert deleted is not None and deleted.clients == ("app",) and deleted.account_events == 1
    assert _account_id(rt, "agent") is None
    assert delete_account(server, 10**9, reason="operator", notification=None) is None
