"""Password rules per population (seeds 000, 001, 004) and expiry."""

from __future__ import annotations

import pytest

from idp.accounts.policy import YEAR, policy_for


@pytest.mark.parametrize("password", ["Ab12!xyz", "motdepasse12é", "ab-12-cd-34", "ab12ëfgh"])
def test_portal_passwords_that_follow_the_rules(password: str) -> None:
    assert policy_for("portal").failures(password) == []


@pytest.mark.parametrize(("password", "broken"), [
    ("Ab12!", "Between 8 and 20 characters"),
    ("Ab12!" + "x" * 16, "Between 8 and 20 characters"),
    ("a1234567!", "At least 2 letters"),
    ("abcdefg1!", "At least 2 digits"),
    ("abcdef12", "At least 1 special or accented character"),
])
def test_portal_rules_say_which_rule_failed(password: str, broken: str) -> None:
    assert policy_for("portal").failures(password) == [broken]


def test_citizen_rules() -> None:
    citizen = policy_for("citizen")
    assert citizen.failures("Bonjour2026") == []
    assert citizen.failures("bonjour") == ["At least 8 characters",
                                           "At least one upper-case letter",
                                           "At least one digit"]


def test_portal_and_technical_passwords_expire_after_a_year_citizens_never() -> None:
    assert policy_for("portal").expires_at(1000) == 1000 + YEAR
    assert policy_for("technical").expires_at(1000) == 1000 + YEAR
    assert policy_for("citizen").expires_at(1000) is None
