"""`idp users set-identity` (the pivot identity, checked as an identity provider's answer is)
and `idp users show` with the identity and the FI links; human output and --json."""

from __future__ import annotations

import json
import os
import re

import pytest

from idp.accounts.citizens import citizen_for_federated_login
from idp.clock import FrozenClock
from idp.federation.pivot import validate_pivot
from sitekit.storage.database import Database
from tests.unit.test_cli import environment, run  # noqa: F401  # the CLI's environment

IDENTITY = ["--given-name", "Angela Claire", "--family-name", "DUBOIS",
            "--birthdate", "1962-08-00", "--gender", "female", "--birthcountry", "99100",
            "--birthplace", "2A004", "--usage-name", "MARTIN"]


@pytest.fixture
def user(capsys) -> str:  # type: ignore[no-untyped-def]
    assert run(capsys, "users", "add", "--username", "adubois",
               "--password", "Motdepasse-2026!")[0] == 0
    return "adubois"


def test_set_identity_stores_the_checked_pivot_identity(capsys, user) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "--json", "users", "set-identity", user, *IDENTITY)
    data = json.loads(out)
    assert code == 0
    assert {k: data[k] for k in ("given_name", "family_name", "usage_name", "birthdate",
                                 "gender", "birthplace", "birthcountry")} == {
        "given_name": "Angela Claire", "family_name": "DUBOIS", "usage_name": "MARTIN",
        "birthdate": "1962-08-01", "gender": "female", "birthplace": "2A004",
        "birthcountry": "99100"}


@pytest.mark.parametrize(("change", "message"), [
    (["--birthdate", "2999-01-01"], "birthdate: is in the future"),
    (["--birthdate", "1962-02-30"], "birthdate: is not a real date"),
    (["--birthplace", "2C004"], "birthplace: must be an INSEE commune code"),
    (["--birthcountry", "99134"], "birthplace: must be empty when born abroad"),
    (["--family-name", "DU\x00BOIS"], "family_name: must not contain control"),
    (["--family-name", "A" * 257], "family_name: must have at most 256 characters"),
])
def test_set_identity_refuses_what_an_fi_answer_would_be_refused_for(  # type: ignore[no-untyped-def]
        capsys, user, change, message) -> None:
    options = list(IDENTITY)
    options[options.index(change[0]) + 1] = change[1]
    code, out, err = run(capsys, "users", "set-identity", user, *options)
    assert code == 1 and out == "" and err.startswith(f"error: invalid identity: {message}")
    code, out, _ = run(capsys, "--json", "users", "show", user)
    assert json.loads(out)["birthdate"] is None  # nothing written


def test_set_identity_requires_the_pivot_options(capsys, user) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exited:
        run(capsys, "users", "set-identity", user, "--given-name", "Angela")
    assert exited.value.code == 2


def test_set_identity_of_an_unknown_user_is_an_error(capsys, user) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "users", "set-identity", "nobody", *IDENTITY)
    assert code == 1 and "no user 'nobody'" in err


def test_one_identity_is_one_account(capsys, user) -> None:  # type: ignore[no-untyped-def]
    assert run(capsys, "users", "set-identity", user, *IDENTITY)[0] == 0
    run(capsys, "users", "add", "--username", "other", "--password", "Motdepasse-2026!")
    # The same person written another way (case, spaces) is the same identity.
    same = [v.lower() if v == "DUBOIS" else v for v in IDENTITY]
    code, _, err = run(capsys, "users", "set-identity", "other", *same)
    assert code == 1 and "another account has this identity" in err
    code, _, err = run(capsys, "users", "add", "--username", "third", "--password",
                       "Motdepasse-2026!", *IDENTITY)
    assert code == 1 and "another account has this identity" in err


def test_users_add_takes_the_identity_options(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "--json", "users", "add", "--username", "adubois",
                       "--password", "Motdepasse-2026!", *IDENTITY)
    assert code == 0 and json.loads(out)["birthplace"] == "2A004"
    code, _, err = run(capsys, "users", "add", "--username", "x", "--password", "p",
                       "--birthdate", "1962-08-24")
    assert code == 1 and "invalid identity: birthcountry: is required" in err


def test_users_show_lists_the_identity_and_the_fi_links(capsys, user) -> None:  # type: ignore[no-untyped-def]
    run(capsys, "users", "set-identity", user, *IDENTITY)
    db = Database(os.environ["IDP_DATABASE_URL"])
    clock = FrozenClock(1_795_000_000)
    pivot = validate_pivot({"given_name": "Angela Claire", "family_name": "DUBOIS",
                            "birthdate": "1962-08-01", "gender": "female",
                            "birthplace": "2A004", "birthcountry": "99100",
                            "preferred_username": "MARTIN"})
    citizen_for_federated_login(db, clock, "impots", "sub-at-impots", pivot)
    db.dispose()
    code, out, _ = run(capsys, "--json", "users", "show", user)
    data = json.loads(out)
    assert code == 0 and data["usage_name"] == "MARTIN"
    assert data["federation_links"] == [{"provider_id": "impots",
                                         "provider_sub": "sub-at-impots",
                                         "first_used_at": "2026-11-18T11:06:40Z",
                                         "last_used_at": "2026-11-18T11:06:40Z"}]
    code, out, _ = run(capsys, "users", "show", user)
    assert code == 0 and re.search(r"^birthplace +2A004$", out, re.MULTILINE)
    assert re.search(r"^fi_links +impots sub-at-impots \(first 2026-11-18 11:06 UTC, "
                     r"last 2026-11-18 11:06 UTC\)$", out, re.MULTILINE)
