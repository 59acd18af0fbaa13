"""`idp clients add|update --account-events-uri` (shown by show/list, checked like the other
URIs) and `idp users delete` (docs/account-events.md)."""

from __future__ import annotations

import json

import pytest

from tests.unit.test_cli import add_client, run
from tests.unit.test_cli import database as database  # a fixture
from tests.unit.test_cli import environment as environment  # an autouse fixture


def test_the_events_uri_is_registered_shown_and_changed(capsys) -> None:  # type: ignore[no-untyped-def]
    client = add_client(capsys, "--account-events-uri", "https://apa.example/auth/account-events")
    assert client["account_events_uri"] == "https://apa.example/auth/account-events"
    shown = json.loads(run(capsys, "--json", "clients", "show", "apa")[1])
    assert shown["account_events_uri"] == "https://apa.example/auth/account-events"
    listed = json.loads(run(capsys, "--json", "clients", "list")[1])
    assert listed[0]["account_events_uri"] == "https://apa.example/auth/account-events"
    code, out, _ = run(capsys, "--json", "clients", "update", "apa", "--account-events-uri",
                       "http://127.0.0.1:9000/events")
    assert code == 0 and json.loads(out)["account_events_uri"] == "http://127.0.0.1:9000/events"
    code, out, _ = run(capsys, "--json", "clients", "update", "apa", "--account-events-uri", "")
    assert code == 0 and json.loads(out)["account_events_uri"] is None


@pytest.mark.parametrize("uri", ["http://apa.example/events", "ftp://apa.example/e",
                                 "https://apa.example/e#frag", "/relative", "https://",
                                 "https://apa.example/" + "x" * 1100, "https://a.example/\x00",
                                 "https://a.example/ space"])
def test_an_unsafe_events_uri_is_refused(capsys, uri: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "clients", "add", "--client-id", "apa", "--redirect-uri",
                       "https://apa.example/cb", "--account-events-uri", uri)
    assert code == 1 and "invalid URI" in err


def test_users_delete_asks_for_yes_then_deletes(capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(capsys, "users", "add", "--username", "alice", "--password",
               "Motdepasse-2026!", "--email", "alice@example.test")[0] == 0
    code, _, err = run(capsys, "users", "delete", "alice")
    assert code == 1 and "--yes" in err
    code, out, _ = run(capsys, "--json", "users", "delete", "alice", "--yes")
    assert code == 0 and json.loads(out)["deleted"] == "alice"
    code, _, err = run(capsys, "users", "show", "alice")
    assert code == 1 and "no user 'alice'" in err


@pytest.mark.usefixtures("database")
def test_deleting_an_unknown_user_is_an_error(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "users", "delete", "nobody", "--yes")
    assert code == 1 and out == "" and "no user 'nobody'" in err
