"""The one table from the authentication's outcomes to what the browser gets
(idp/web/pages/login_outcomes.py): every outcome each form can meet has its row, refusals
are 4xx pages with a message, successes are redirects."""

from __future__ import annotations

import typing

from idp.accounts import errors
from idp.accounts.authentication import Outcome, SecondFactorRequired
from idp.accounts.errors import AuthenticationRefused
from idp.web.pages.login_outcomes import ANSWERS

SUCCESSES = set(typing.get_args(Outcome))
REFUSALS = {cls for cls in vars(errors).values() if isinstance(cls, type)
            and issubclass(cls, AuthenticationRefused) and cls is not AuthenticationRefused}
# What each form's step can raise (idp/accounts/authentication.py).
LOGIN_REFUSALS = {errors.MissingCredentials, errors.BadCredentials, errors.Locked,
                  errors.ExpiredPasswordNeedsAssistance, errors.AwaitingConfirmation}
CODE_REFUSALS = {errors.MissingCode, errors.WrongCode, errors.Locked,
                 errors.ExpiredPasswordNeedsAssistance}


def rows(form: str) -> set[type]:
    return {kind for where, kind in ANSWERS if where == form}


def test_every_outcome_of_the_login_and_code_forms_has_its_answer() -> None:
    assert rows("login") == SUCCESSES | LOGIN_REFUSALS
    assert rows("code") == (SUCCESSES - {SecondFactorRequired}) | CODE_REFUSALS
    assert rows("account") == {errors.Locked}
    assert LOGIN_REFUSALS | CODE_REFUSALS == REFUSALS


def test_refusals_are_client_errors_with_a_message_and_successes_redirect() -> None:
    for (_, kind), answer in ANSWERS.items():
        if kind in REFUSALS:
            assert 400 <= answer.status < 500 and answer.template and answer.message
        else:
            assert answer.status == 303 and answer.template is None and answer.location
