"""The relying-party toolkit's form guard on a plain form (clients/rp/forms.py): the handler
runs only for an admitted visitor whose form carries that session's token."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from clients.rp.forms import FORM_GUARD, Fields, FormGuard, read_fields
from clients.rp.sessions import UserSession

TOKEN = "the-session-token"


async def admit(request: Request) -> tuple[UserSession | None, Response | None]:
    if request.headers.get("x-test-user") != "alice":
        return None, PlainTextResponse("log in first", status_code=303)
    return UserSession("id", "alice", None, {}, TOKEN, "id-token", "access", None, 0), None


guard = FormGuard(admit, lambda request: PlainTextResponse("form expired", status_code=403))
ran: list[str] = []


@guard(read=read_fields)
async def change(request: Request, session: UserSession, posted: Fields) -> Response:
    ran.append(posted.fields["value"])
    return PlainTextResponse("changed")


def client() -> TestClient:
    return TestClient(Starlette(routes=[Route("/change", change, methods=["POST"])]))


def test_a_plain_form_runs_only_with_the_sessions_token() -> None:
    ran.clear()
    http = client()
    alice = {"x-test-user": "alice"}
    for form in ({"value": "a"}, {"value": "b", "csrf_token": "wrong"},
                 {"value": "c", "csrf_token": ""}, {"value": "d", "csrf_token": TOKEN + "x"}):
        assert http.post("/change", data=form, headers=alice).status_code == 403
    assert http.post("/change", data={"value": "e", "csrf_token": TOKEN},
                     headers={"x-test-user": "bob"}, follow_redirects=False).status_code == 303
    assert ran == []
    assert http.post("/change", data={"value": "f", "csrf_token": TOKEN},
                     headers=alice).text == "changed"
    assert ran == ["f"]


def test_the_guard_marks_what_it_builds() -> None:
    assert getattr(change, FORM_GUARD) is True
