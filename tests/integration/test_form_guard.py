"""One guard for every form (issue 11): every POST route of the hub — read from the app
itself, factories included — is built by @form_post (idp/web/pages/form_guard.py) or listed
below with the reason it takes no CSRF token; and every guarded route refuses a POST without
this session's token (none, a wrong one, another session's) with the "form expired" page,
changing nothing."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from starlette.endpoints import HTTPEndpoint
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from idp.storage.models import Base
from idp.web.pages.form_guard import FORM_GUARD, form_post
from tests.conftest import ISSUER
from tests.factories import PASSWORD
from tests.integration.test_hostile_input import starlette_of
from tests.oidc_helpers import auth_request, csrf_token, hidden, login
from tests.post_routes import post_routes, unguarded

# POST routes that legitimately take no CSRF token, and why.
EXEMPT = {
    "/authorize": "OpenID Connect Core 1.0 §3.1.2.1: a relying party may send the "
                  "authorization request form-serialised by POST; it carries no state of ours, "
                  "and the consent that follows is a guarded form",
    "/logout": "OpenID Connect RP-Initiated Logout 1.0 §2: the client sends the logout request "
               "by GET or POST; the confirmation form it may lead to checks the session's "
               "token (idp/web/pages/logout.py, same check as the guard)",
    "/userinfo": "OpenID Connect Core 1.0 §5.3.1: a bearer access token authenticates it, not a "
                 "cookie",
    "/token": "RFC 6749 §3.2: a back-channel request with client authentication, no cookie",
    "/introspect": "RFC 7662 §2.1: a back-channel request with client authentication",
    "/revoke": "RFC 7009 §2.1: a back-channel request with client authentication",
    "/register": "RFC 7591 §3.1: a JSON request authenticated by a bearer access token, no "
                 "cookie",
    "/register/{client_id}/secret": "RFC 7592 extension (oidc/client_registration.py): a JSON "
                                    "request authenticated by a bearer token, no cookie",
}
NEW = "Nouveau-2027!"
MOBILE = "+33612345678"


@pytest.fixture
def settings(settings, tmp_path):  # type: ignore[no-untyped-def]
    # No background delivery or purge: the tables change only by what the requests do.
    return settings.replace(sms_sink_file=str(tmp_path / "sms.jsonl"), outbox_interval=0.0,
                            purge_interval=0.0)


def test_every_post_route_of_the_hub_is_guarded_or_exempt_with_its_reason(app) -> None:  # type: ignore[no-untyped-def]
    routes = post_routes(app)
    assert unguarded(routes, FORM_GUARD, EXEMPT) == []
    # The walk sees the routes a factory builds and those answered before Starlette.
    paths = {r.path for r in routes}
    assert {"/compte/mobile", "/compte/courriel", "/token", "/login"} <= paths


class Forgetful(HTTPEndpoint):
    async def post(self, request):  # type: ignore[no-untyped-def]
        return Response("changed")


def test_a_post_handler_wired_without_the_guard_is_detected(app) -> None:  # type: ignore[no-untyped-def]
    async def forgetful(request):  # type: ignore[no-untyped-def]
        return Response("changed")

    @form_post
    async def careful(request, session, form):  # type: ignore[no-untyped-def]
        return Response("changed")

    router = starlette_of(app).router
    router.routes.append(Route("/test-only/forgetful", forgetful, methods=["POST"]))
    router.routes.append(Route("/test-only/careful", careful, methods=["POST"]))
    router.routes.append(Route("/test-only/endpoint-class", Forgetful))
    assert unguarded(post_routes(app), FORM_GUARD, EXEMPT) == [
        "/test-only/endpoint-class", "/test-only/forgetful"]


def test_a_stale_exemption_is_detected(app) -> None:  # type: ignore[no-untyped-def]
    routes = post_routes(app)
    assert unguarded(routes, FORM_GUARD, {**EXEMPT, "/login": "no longer true"}) == [
        "exempt but no unguarded POST route: /login"]
    assert unguarded(routes, FORM_GUARD, {**EXEMPT, "/gone": "route removed"}) == [
        "exempt but no unguarded POST route: /gone"]


def database_contents(rt) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    rt.audit.flush()
    with rt.db.read() as s:
        return {table.name: sorted(repr(tuple(row)) for row in s.execute(select(table)))
                for table in Base.metadata.sorted_tables}


@pytest.fixture
def stranger(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url=ISSUER) as client:
        yield client


def test_every_guarded_post_refuses_a_missing_wrong_or_foreign_token(  # type: ignore[no-untyped-def]
        app, http, stranger, factories, clock, rt) -> None:
    # A browser every guard admits, so only the token decides: logged in (alice), with a
    # recovery under way, an expired password just verified (bob's), a pending request.
    client = factories.client()
    factories.account("bob")
    clock.advance(366 * 86400)
    factories.account("alice", phone=MOBILE)
    assert login(http, "alice").headers["location"] == "/"
    start = http.get("/mot-de-passe-oublie")
    assert http.post("/mot-de-passe-oublie", data={"csrf_token": csrf_token(start.text),
                                                   "username": "alice"}).status_code == 200
    assert login(http, "bob").headers["location"] == "/compte/mot-de-passe-expire"
    consent_page = http.get("/authorize?" + auth_request(client.client_id,
                                                         client.redirect_uri).query)
    assert "/authorize/consent" in consent_page.text
    own_token = csrf_token(consent_page.text)
    assert http.get("/mot-de-passe-oublie/code").status_code == 200
    assert http.get("/compte/mot-de-passe-expire").status_code == 200
    foreign_token = csrf_token(stranger.get("/login").text)
    assert foreign_token != own_token
    # What each form would act on if its guard let it through.
    fields = {"rid": hidden(consent_page.text, "rid"), "decision": "accept",
              "username": "alice", "password": PASSWORD, "current_password": PASSWORD,
              "new_password": NEW, "confirmation": NEW, "code": "123456",
              "value": "+33612345679", "action": "silence", "next": "/"}
    tokens = {"no token": None, "wrong token": own_token[:-2] + "xy",
              "another session's token": foreign_token, "empty token": ""}

    guarded = [r.path for r in post_routes(app) if getattr(r.endpoint, FORM_GUARD, False)]
    assert len(guarded) >= 12  # the forms of issue 11 (logout checks its confirmation apart)
    before = database_contents(rt)
    for path in guarded:
        for case, token in tokens.items():
            form = fields if token is None else {**fields, "csrf_token": token}
            response = http.post(path, data=form, follow_redirects=False)
            assert response.status_code == 403, (path, case, response.status_code)
            assert "Formulaire expiré" in html.unescape(response.text), (path, case)
            assert "set-cookie" not in response.headers, (path, case)
            assert database_contents(rt) == before, (path, case)
    # The same browser's own token still goes through (the probes did not spend it).
    assert http.post("/compte/rappel-mobile", data={"csrf_token": own_token, "next": "/"},
                     follow_redirects=False).status_code == 303


def test_logout_confirmation_refuses_a_wrong_or_foreign_token(http, stranger, factories, rt):  # type: ignore[no-untyped-def]
    # /logout is exempt from the guard (RP-initiated), but its confirmation form is checked
    # by the same comparison and refused with the same page.
    factories.account("alice")
    assert login(http, "alice").headers["location"] == "/"
    own_token = csrf_token(http.get("/logout").text)
    foreign_token = csrf_token(stranger.get("/login").text)
    before = database_contents(rt)
    for token in (own_token[:-2] + "xy", foreign_token, ""):
        response = http.post("/logout", data={"confirm": "1", "csrf_token": token})
        assert response.status_code == 403
        assert "Formulaire expiré" in html.unescape(response.text)
        assert database_contents(rt) == before
    assert http.post("/logout", data={"confirm": "1", "csrf_token": own_token}).status_code == 200
