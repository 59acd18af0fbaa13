"""Issue 15: a refused authorization request names the faulty parameter for the developer —
on the error page (the redirect URI cannot be trusted) or in error_description (it can) —
without reflecting what was sent or telling a client's registered URIs; each refusal is
logged (``idp.authorize``) and audited (``authorize.refused``). Real app and database."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from idp.limits import AUTHORIZATION_PARAMETER_CHARS
from idp.storage.models import AuditEvent
from tests.conftest import ISSUER
from tests.oidc_helpers import auth_request, parse_redirect

SCRIPT = "<script>alert(1)</script>"
REGISTERED = "https://app.example.test/private-callback-9f3a"


@pytest.fixture
def browser(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url=ISSUER, raise_server_exceptions=False) as client:
        yield client


def refusals(rt) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    rt.audit.flush()
    with rt.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event == "authorize.refused")
                              .order_by(AuditEvent.id)))


def main_of(html: str) -> str:
    """The page's content (the header's language links carry the query, URL-encoded)."""
    match = re.search(r"<main.*?</main>", html, re.S)
    assert match, "no <main>"
    return match.group(0)


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "idp.authorize"]


def good_params(rt, factories) -> tuple[Any, dict[str, str]]:  # type: ignore[no-untyped-def]
    client = factories.client(redirect_uris=[REGISTERED])
    return client, auth_request(client.client_id, REGISTERED).params


# Before the redirect URI is trusted: a page naming the parameter -----------------------------

PAGE_CASES: list[tuple[str, dict[str, Any], str, str | None]] = [
    # (case, change to the request (None: removed), detail shown, audited client_id)
    ("unknown client", {"client_id": "no-such-app" + SCRIPT}, "client_id: unknown", None),
    ("missing client", {"client_id": None}, "client_id: missing", None),
    ("unregistered redirect", {"redirect_uri": "https://evil.test/cb?x=" + "y" * 80},
     "redirect_uri: not registered for this client (exact match)", "own"),
    ("missing redirect", {"redirect_uri": None}, "redirect_uri: missing", "own"),
    ("redirect with markup", {"redirect_uri": "https://evil.test/" + SCRIPT},
     "redirect_uri: contains characters it may not hold", "own"),
    ("redirect too long", {"redirect_uri": REGISTERED + "a" * 2048},
     "redirect_uri: longer than 2048 characters", "own"),
]


@pytest.mark.parametrize(("case", "change", "detail", "audited"), PAGE_CASES,
                         ids=[c[0] for c in PAGE_CASES])
def test_untrusted_redirect_shows_the_parameter_on_the_page(  # type: ignore[no-untyped-def]
        browser, factories, rt, caplog, case, change, detail, audited) -> None:
    client, params = good_params(rt, factories)
    params.update({k: v for k, v in change.items() if v is not None})
    for name in [k for k, v in change.items() if v is None]:
        del params[name]
    with caplog.at_level(logging.INFO, logger="idp.authorize"):
        page = browser.get("/authorize", params=params, follow_redirects=False)
    assert page.status_code == 400, page.text[:300]
    assert "location" not in page.headers
    assert "Détails pour le développeur" in page.text
    assert detail in page.text
    # Nothing sent is reflected, the registered URI is not told, the user's text stays plain.
    assert "<script>" not in page.text and "alert(1)" not in page.text
    main = main_of(page.text)
    assert REGISTERED not in main and "private-callback" not in main
    assert "evil.test" not in main and "no-such-app" not in main
    assert params["state"] not in main and params["code_challenge"] not in main
    parameter = detail.split(":")[0]
    [event] = refusals(rt)
    assert event.client_id == (client.client_id if audited == "own" else None)
    assert event.detail["parameter"] == parameter
    assert detail.split(": ", 1)[1] in event.detail["reason"]
    assert len(event.detail.get("sent") or "") <= 43
    [line] = lines(caplog)
    assert f"parameter={parameter}" in line and "reason=" in line
    assert f"client_id={client.client_id if audited == 'own' else '-'}" in line
    assert params["state"] not in line and params["nonce"] not in line
    assert params["code_challenge"] not in line
    assert "<script>" not in line and len(line) < 400


def test_duplicated_parameter_is_named(browser, factories, rt, caplog) -> None:  # type: ignore[no-untyped-def]
    client, params = good_params(rt, factories)
    query = [*params.items(), ("scope", "openid")]
    with caplog.at_level(logging.INFO, logger="idp.authorize"):
        page = browser.get("/authorize", params=query, follow_redirects=False)
    assert page.status_code == 400
    assert "scope: duplicated parameter" in page.text
    [event] = refusals(rt)
    assert (event.client_id, event.detail["parameter"]) == (client.client_id, "scope")
    assert "parameter=scope reason=duplicated parameter" in lines(caplog)[0]


def test_a_made_up_parameter_name_is_never_shown(browser, factories, rt) -> None:  # type: ignore[no-untyped-def]
    """An unknown parameter over its limit with an untrusted redirect: the page says so
    without quoting the name, which the request chose."""
    _, params = good_params(rt, factories)
    params.update({"redirect_uri": "https://evil.test/cb", SCRIPT: "a" * 300})
    page = browser.get("/authorize", params=params, follow_redirects=False)
    assert page.status_code == 400
    assert "a parameter the hub does not use is longer than 256 characters" in page.text
    assert "<script>" not in page.text and "alert(1)" not in main_of(page.text)
    [event] = refusals(rt)
    assert event.detail["parameter"] == ""


def test_the_page_says_which_of_several_clients_uris_is_wrong_without_listing_them(  # type: ignore[no-untyped-def]
        browser, factories, rt) -> None:
    client = factories.client(redirect_uris=[REGISTERED, "https://app.example.test/other"])
    params = auth_request(client.client_id, "https://app.example.test/othe").params
    page = browser.get("/authorize", params=params, follow_redirects=False)
    assert page.status_code == 400
    assert "redirect_uri: not registered for this client" in page.text
    assert "app.example.test" not in main_of(page.text)


def test_the_page_is_in_english_when_asked(browser, factories, rt) -> None:  # type: ignore[no-untyped-def]
    _, params = good_params(rt, factories)
    params["client_id"] = "nobody"
    page = browser.get("/authorize", params=params, headers={"accept-language": "en"})
    assert page.status_code == 400
    assert "Details for the developer" in page.text and "client_id: unknown" in page.text


# After the redirect URI is trusted: error_description names it -------------------------------

REDIRECT_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("no PKCE", {"code_challenge": None}, "invalid_request", "code_challenge"),
    ("plain PKCE", {"code_challenge_method": "plain"}, "invalid_request",
     "code_challenge_method"),
    ("response type", {"response_type": "token"}, "unsupported_response_type", "response_type"),
    ("prompt", {"prompt": "sometimes"}, "invalid_request", "prompt"),
    ("claims", {"claims": '{"id_token": 3}'}, "invalid_request", "claims"),
    ("response_mode", {"response_mode": "fragment"}, "invalid_request", "response_mode"),
    ("request object", {"request": "e30.e30."}, "request_not_supported", "request"),
    ("nonce too long", {"nonce": "n" * (AUTHORIZATION_PARAMETER_CHARS["nonce"] + 1)},
     "invalid_request", "nonce"),
    ("prompt=none", {"prompt": "none"}, "login_required", "prompt"),
]


@pytest.mark.parametrize(("case", "change", "error", "parameter"), REDIRECT_CASES,
                         ids=[c[0] for c in REDIRECT_CASES])
def test_trusted_redirect_names_the_parameter_in_error_description(  # type: ignore[no-untyped-def]
        browser, factories, rt, caplog, case, change, error, parameter) -> None:
    client, params = good_params(rt, factories)
    params.update({k: v for k, v in change.items() if v is not None})
    for name in [k for k, v in change.items() if v is None]:
        del params[name]
    with caplog.at_level(logging.INFO, logger="idp.authorize"):
        response = browser.get("/authorize", params=params, follow_redirects=False)
    assert response.status_code == 303, response.text[:300]
    answer = parse_redirect(response.headers["location"])
    assert response.headers["location"].startswith(REGISTERED + "?")
    assert answer["error"] == error
    assert parameter in answer["error_description"]
    assert answer["state"] == params["state"]
    [line] = lines(caplog)
    assert f"client_id={client.client_id}" in line and f"parameter={parameter}" in line
    assert params["nonce"][:20] not in line and params["state"] not in line
    if error == "login_required":
        # The protocol's answer to prompt=none: logged, not audited (no fault of the request).
        assert [r.levelno for r in caplog.records if r.name == "idp.authorize"] == [logging.INFO]
        assert refusals(rt) == []
    else:
        [event] = refusals(rt)
        assert (event.client_id, event.detail["parameter"], event.detail["error"]) == (
            client.client_id, parameter, error)
        # Only the client's switches are quoted; secrets of the request never.
        assert event.detail.get("sent") is None or parameter in (
            "response_type", "response_mode", "prompt", "code_challenge_method")


def test_audit_rows_never_hold_secrets_of_the_request(browser, factories, rt) -> None:  # type: ignore[no-untyped-def]
    """state, nonce and code_challenge are never quoted, even when they are the fault."""
    _, params = good_params(rt, factories)
    for name in ("state", "nonce", "code_challenge"):
        bad = {**params, name: "S" * (AUTHORIZATION_PARAMETER_CHARS[name] + 1)}
        browser.get("/authorize", params=bad, follow_redirects=False)
    events = refusals(rt)
    assert [e.detail["parameter"] for e in events] == ["state", "nonce", "code_challenge"]
    assert all("sent" not in e.detail or e.detail["sent"] is None for e in events)
    assert all("SSSS" not in str(e.detail) for e in events)
