"""One guard for every form (issue 11), in APA: every POST route of APA's app — its pages,
its API and the login routes of the relying-party toolkit — is built by APA's FormGuard
(clients/rp/forms.py) or listed below with the reason it takes no CSRF token; and the deposit
form refuses a POST without this session's token (none, a wrong one, another session's) with
the "form expired" page, keeping nothing."""

from __future__ import annotations

import html

import httpx
import pytest
from sqlalchemy import func, select
from starlette.responses import Response
from starlette.routing import Route

from clients.apa.app import create_app
from clients.apa.models import Deposit
from clients.rp.forms import FORM_GUARD
from tests.apa.conftest import Live
from tests.apa.test_apa_end_to_end import call_file
from tests.oidc_helpers import csrf_token
from tests.post_routes import post_routes, unguarded

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("apa")]

# POST routes that legitimately take no CSRF token, and why.
EXEMPT = {
    "/api/depots": "APA's API for the departments' software: a bearer access token from the "
                   "hub authenticates each request (RFC 6750 §2.1), not a cookie",
    "/auth/backchannel-logout": "OpenID Connect Back-Channel Logout 1.0 §2.5: the hub posts a "
                                "signed logout token, validated as §2.6 says; no browser",
    "/auth/account-events": "RFC 8935 §2.2: the hub pushes a signed Security Event Token, "
                            "validated as RFC 8417 and RFC 8935 say; no browser",
    "/auth/logout": "reached by the header's plain link (GET), POST alike: it only ends the "
                    "local session and hands over to the hub's RP-initiated logout",
}


def test_every_post_route_of_apa_is_guarded_or_exempt_with_its_reason(live: Live) -> None:
    routes = post_routes(create_app(live.apa.settings, live.apa))
    assert unguarded(routes, FORM_GUARD, EXEMPT) == []
    assert "/depot" in {r.path for r in routes}


def test_an_apa_post_handler_wired_without_the_guard_is_detected(live: Live) -> None:
    async def forgetful(request):  # type: ignore[no-untyped-def]
        return Response("changed")

    app = create_app(live.apa.settings, live.apa)
    app.router.routes.append(Route("/test-only/forgetful", forgetful, methods=["POST"]))
    assert unguarded(post_routes(app), FORM_GUARD, EXEMPT) == ["/test-only/forgetful"]
    assert unguarded(post_routes(app), FORM_GUARD, {**EXEMPT, "/depot": "stale"}) == [
        "/test-only/forgetful", "exempt but no unguarded POST route: /depot"]


def deposits(live: Live) -> int:
    with live.apa.db.read() as s:
        return s.scalar(select(func.count()).select_from(Deposit)) or 0


def stored_files(live: Live) -> list[str]:
    return sorted(p.name for p in (live.files_dir / "deposits").iterdir())


def test_a_deposit_refuses_a_missing_wrong_or_foreign_token(live: Live) -> None:
    browser, other = live.browser(), live.browser()
    assert live.log_in(browser).status_code == 303
    assert live.log_in(other, "rep_b").status_code == 303
    own_token = csrf_token(browser.get(live.url + "/depot").text)
    foreign_token = csrf_token(other.get(live.url + "/depot").text)
    assert foreign_token != own_token
    name, data = call_file()
    count, files = deposits(live), stored_files(live)
    for case, token in {"no token": None, "wrong token": own_token[:-2] + "xy",
                        "another session's token": foreign_token, "empty token": ""}.items():
        response = browser.post(live.url + "/depot",
                                data={} if token is None else {"csrf_token": token},
                                files={"fichier": (name, data, "text/xml")})
        assert response.status_code == 403, case
        assert "Formulaire expiré" in html.unescape(response.text), case
        assert (deposits(live), stored_files(live)) == (count, files), case
    done = browser.post(live.url + "/depot", data={"csrf_token": own_token},
                        files={"fichier": (name, data, "text/xml")})
    assert done.status_code == 303 and deposits(live) == count + 1


def test_a_form_without_a_session_goes_to_the_login_first(live: Live) -> None:
    # The admission (a logged-in user with a SIRET) comes before the token, as before.
    name, data = call_file()
    response = httpx.post(live.url + "/depot", data={"csrf_token": "x"},
                          files={"fichier": (name, data, "text/xml")})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/auth/login?")
