"""Password rules per population (seeds 000, 001, 004), expiry, and the operator's file."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp.accounts.policy import YEAR, PasswordPolicies

policy_for = PasswordPolicies()


@pytest.mark.parametrize("password", ["Ab12!xyz", "motdepasse12é", "ab-12-cd-34", "ab12ëfgh"])
def test_portal_passwords_that_follow_the_rules(password: str) -> None:
    assert policy_for("portal").failures(password) == []


@pytest.mark.parametrize(("password", "broken"), [
    ("Ab12!", "Between {min} and {max} characters"),
    ("Ab12!" + "x" * 16, "Between {min} and {max} characters"),
    ("a1234567!", "At least {n} letters"),
    ("abcdefg1!", "At least {n} digits"),
    ("abcdef12", "At least 1 special or accented character"),
])
def test_portal_rules_say_which_rule_failed(password: str, broken: str) -> None:
    assert policy_for("portal").failures(password) == [broken]


def test_rule_messages_carry_their_values() -> None:
    messages = policy_for("portal").failures("a!")
    assert [m.values for m in messages] == [{"min": 8, "max": 20}, {"n": 2}, {"n": 2}]


def test_citizen_rules() -> None:
    citizen = policy_for("citizen")
    assert citizen.failures("Bonjour2026") == []
    assert citizen.failures("bonjour") == ["At least {min} characters",
                                           "At least one upper-case letter",
                                           "At least one digit"]


def test_portal_and_technical_passwords_expire_after_a_year_citizens_never() -> None:
    assert policy_for("portal").expires_at(1000) == 1000 + YEAR
    assert policy_for("technical").expires_at(1000) == 1000 + YEAR
    assert policy_for("citizen").expires_at(1000) is None
    assert policy_for("portal").history == 5


def test_operator_file_changes_rules_expiry_and_history(tmp_path: Path) -> None:
    path = tmp_path / "policies.toml"
    path.write_text("[portal]\nmin_length = 12\nmax_length = 0\nlifetime_days = 90\n"
                    "history = 10\n\n[citizen]\nlifetime_days = 730\n")
    policies = PasswordPolicies.load(str(path))
    portal = policies("portal")
    assert portal.failures("ab12!cdefgh") == ["At least {min} characters"]
    assert portal.failures("ab12!cdefghij" * 3) == []  # no maximum any more
    assert portal.expires_at(0) == 90 * 86400 and portal.history == 10
    assert policies("citizen").expires_at(0) == 730 * 86400
    assert policies("technical") == PasswordPolicies()("technical")


def test_shipped_example_file_loads() -> None:
    policies = PasswordPolicies.load("docs/password-policies.toml")
    assert policies("portal").failures("Ab12!xyz") == []


@pytest.mark.parametrize(("content", "says"), [
    ("[portal]\nmin_lenght = 10\n", "unknown keys: min_lenght"),
    ("[visitors]\nmin_length = 10\n", "unknown population [visitors]"),
    ("[portal]\nmin_length = 4\n", "min_length must be at least 8"),
    ("[portal]\nmin_length = 12\nmax_length = 10\n", "max_length must be"),
    ("[portal]\nupper_case = 'yes'\n", "upper_case must be true or false"),
    ("[portal]\nlifetime_days = -3\n", "lifetime_days must be"),
    ("[portal\n", "cannot read"),
])
def test_mistakes_in_the_file_are_named(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "policies.toml"
    path.write_text(content)
    with pytest.raises(ValueError, match=".*" + says.replace("[", r"\[")):
        PasswordPolicies.load(str(path))
