"""The authorization checks authlib does not make (idp/oidc/checks), one rule per test."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from authlib.oauth2.rfc6749 import OAuth2Error

from idp.oidc.checks import (
    Authn,
    AuthorizationContext,
    NeedLogin,
    Refuse,
    check_entitlement,
)
from idp.oidc.checks.acr import check_acr
from idp.oidc.checks.entitlement import is_entitled
from idp.oidc.checks.max_age import check_max_age
from idp.oidc.checks.prompt import check_login_present, check_prompt
from idp.oidc.checks.request_params import check_unsupported_parameters

NOW = 1_800_000_000
STARTED = NOW - 30  # the user arrived with the request 30 s ago


def account(**overrides: object) -> SimpleNamespace:
    values: dict[str, object] = {"id": 1, "groups": ["apa"], "population": "portal", "siret": None,
                                 "email": "camille@example.test"}
    values.update(overrides)
    return SimpleNamespace(**values)


def context(
    params: dict[str, str] | None = None, *, auth_time: int | None = NOW - 600,
    acr: str | None = "eidas1", logged_in: bool = True, access_rule: str | None = None,
    acr_supported: tuple[str, ...] = ("eidas1", "eidas2"), claims: dict | None = None,
    user: SimpleNamespace | None = None, second_factor: bool = True,
) -> AuthorizationContext:
    request = SimpleNamespace(payload=SimpleNamespace(data=params or {}), scope="openid")
    authn = Authn(account=(user or account()) if logged_in else None,
                  auth_time=auth_time if logged_in else None, acr=acr if logged_in else None)
    return AuthorizationContext(
        server=SimpleNamespace(acr_levels={v: i + 1 for i, v in enumerate(acr_supported)},
                               has_second_factor=lambda account_id: second_factor),
        request=request,
        client=SimpleNamespace(client_id="apa", access_rule=access_rule),
        authn=authn,
        now=NOW,
        started_at=STARTED,
        claims=claims,
    )


def with_prompt(ctx: AuthorizationContext) -> AuthorizationContext:
    """Run check_prompt first, as the chain does (it sets ctx.prompts)."""
    check_prompt(ctx)
    return ctx


def error_of(check, ctx: AuthorizationContext) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(OAuth2Error) as raised:
        check(ctx)
    return str(raised.value.error)


# Unsupported parameters ---------------------------------------------------------------------


@pytest.mark.parametrize(("params", "error"), [
    ({"request": "eyJ..."}, "request_not_supported"),
    ({"request_uri": "https://rp.example/r"}, "request_uri_not_supported"),
    ({"response_mode": "form_post"}, "invalid_request"),
    ({"response_mode": "fragment"}, "invalid_request"),
])
def test_unsupported_request_parameters_are_refused(params: dict, error: str) -> None:
    assert error_of(check_unsupported_parameters, context(params)) == error


def test_response_mode_query_is_accepted() -> None:
    assert check_unsupported_parameters(context({"response_mode": "query"})) is None


# prompt ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("prompt", ["register", "login bogus", "NONE"])
def test_an_unsupported_prompt_value_is_an_invalid_request(prompt: str) -> None:
    assert error_of(check_prompt, context({"prompt": prompt})) == "invalid_request"


@pytest.mark.parametrize("prompt", ["none login", "consent none", "none select_account",
                                    "none create"])
def test_prompt_none_with_another_value_is_an_invalid_request(prompt: str) -> None:
    assert error_of(check_prompt, context({"prompt": prompt})) == "invalid_request"


def test_prompt_none_alone_passes_and_is_remembered() -> None:
    ctx = context({"prompt": "none"})
    assert check_prompt(ctx) is None and ctx.prompts == {"none"}


@pytest.mark.parametrize("prompt", ["login", "select_account", "login consent"])
def test_prompt_login_asks_for_a_login_made_before_the_request(prompt: str) -> None:
    outcome = check_prompt(context({"prompt": prompt, "login_hint": "cbernard-xt"}))
    assert outcome == NeedLogin("prompt", "cbernard-xt")


def test_prompt_create_asks_for_the_registration_until_an_account_logs_in_for_it() -> None:
    # Initiating User Registration via OpenID Connect 1.0 §4.1; a session older than the
    # request does not count: the person asked to create an account.
    assert check_prompt(context({"prompt": "create"})) == NeedLogin("create", None)
    assert check_prompt(context({"prompt": "create"}, auth_time=STARTED - 5)) == NeedLogin(
        "create", None)
    assert check_prompt(context({"prompt": "create"}, auth_time=STARTED + 5)) is None


def test_prompt_login_is_satisfied_by_a_login_made_for_this_request() -> None:
    assert check_prompt(context({"prompt": "login"}, auth_time=STARTED + 5)) is None


def test_no_session_asks_for_a_login() -> None:
    ctx = with_prompt(context({"login_hint": "u"}, logged_in=False))
    assert check_login_present(ctx) == NeedLogin("no_session", "u")


def test_no_session_with_prompt_none_is_login_required() -> None:
    ctx = with_prompt(context({"prompt": "none"}, logged_in=False))
    assert error_of(check_login_present, ctx) == "login_required"


# max_age --------------------------------------------------------------------------------------


@pytest.mark.parametrize("max_age", ["-1", "ten", "1.5", "0x10"])
def test_a_negative_or_non_numeric_max_age_is_an_invalid_request(max_age: str) -> None:
    ctx = with_prompt(context({"max_age": max_age}))
    assert error_of(check_max_age, ctx) == "invalid_request"


def test_an_authentication_within_max_age_passes() -> None:
    assert check_max_age(with_prompt(context({"max_age": "600"}, auth_time=NOW - 600))) is None


def test_an_authentication_older_than_max_age_asks_for_a_login() -> None:
    ctx = with_prompt(context({"max_age": "599", "login_hint": "u"}, auth_time=NOW - 600))
    assert check_max_age(ctx) == NeedLogin("max_age", "u")


def test_an_authentication_older_than_max_age_with_prompt_none_is_login_required() -> None:
    ctx = with_prompt(context({"max_age": "60", "prompt": "none"}, auth_time=NOW - 600))
    assert error_of(check_max_age, ctx) == "login_required"


def test_a_login_made_for_this_request_satisfies_max_age_zero() -> None:
    ctx = with_prompt(context({"max_age": "0"}, auth_time=STARTED + 1))
    assert check_max_age(ctx) is None


# acr ------------------------------------------------------------------------------------------


def essential_acr(*values: str) -> dict:
    return {"id_token": {"acr": {"essential": True, "values": list(values)}}}


def test_no_essential_acr_passes_whatever_the_level() -> None:
    voluntary = {"id_token": {"acr": {"values": ["eidas3"]}}}
    assert check_acr(with_prompt(context(acr="eidas1", claims=voluntary))) is None


def test_an_essential_acr_already_met_passes() -> None:
    assert check_acr(with_prompt(context(claims=essential_acr("eidas2", "eidas1")))) is None


def test_an_essential_acr_that_cannot_be_achieved_is_unmet_authentication_requirements(
) -> None:
    ctx = with_prompt(context(claims=essential_acr("eidas3")))
    assert error_of(check_acr, ctx) == "unmet_authentication_requirements"


def test_an_essential_acr_given_as_single_value_is_checked_too() -> None:
    claims = {"id_token": {"acr": {"essential": True, "value": "eidas3"}}}
    assert error_of(check_acr, with_prompt(context(claims=claims))) == (
        "unmet_authentication_requirements")


def test_an_achievable_essential_acr_not_met_by_the_session_asks_for_a_login() -> None:
    ctx = with_prompt(context(acr="eidas0", claims=essential_acr("eidas1")))
    assert check_acr(ctx) == NeedLogin("acr")


def test_an_achievable_essential_acr_with_prompt_none_is_login_required() -> None:
    ctx = with_prompt(context({"prompt": "none"}, acr="eidas0", claims=essential_acr("eidas1")))
    assert error_of(check_acr, ctx) == "login_required"


def test_acr_values_asking_a_higher_level_steps_up_an_enrolled_account() -> None:
    ctx = with_prompt(context({"acr_values": "eidas2"}, acr="eidas1"))
    assert check_acr(ctx) == NeedLogin("acr")


def test_acr_values_met_by_a_higher_or_equal_level_pass() -> None:
    assert check_acr(with_prompt(context({"acr_values": "eidas1"}, acr="eidas2"))) is None
    assert check_acr(with_prompt(context({"acr_values": "eidas2"}, acr="eidas2"))) is None


def test_the_lowest_level_asked_is_enough() -> None:
    assert check_acr(with_prompt(context({"acr_values": "eidas2 eidas1"}, acr="eidas1"))) is None


def test_step_up_without_a_second_factor_is_unmet_not_a_login_loop() -> None:
    ctx = with_prompt(context({"acr_values": "eidas2"}, acr="eidas1", second_factor=False))
    assert error_of(check_acr, ctx) == "unmet_authentication_requirements"


def test_unknown_voluntary_acr_values_are_ignored() -> None:
    assert check_acr(with_prompt(context({"acr_values": "eidas3"}, acr="eidas1"))) is None


def test_step_up_with_prompt_none_is_login_required() -> None:
    ctx = with_prompt(context({"acr_values": "eidas2", "prompt": "none"}, acr="eidas1"))
    assert error_of(check_acr, ctx) == "login_required"


# Entitlement ----------------------------------------------------------------------------------


def test_no_access_rule_admits_every_account() -> None:
    assert is_entitled(account(groups=[]), None) and is_entitled(account(groups=[]), "")


def test_a_group_rule_admits_members_only() -> None:
    assert is_entitled(account(groups=["x", "apa"]), "group:apa")
    assert not is_entitled(account(groups=["apa-admin"]), "group:apa")
    assert not is_entitled(account(groups=None), "group:apa")


def test_a_population_rule_admits_that_population_only() -> None:
    assert is_entitled(account(population="citizen"), "population:citizen")
    assert not is_entitled(account(population="portal"), "population:citizen")


def test_an_attribute_rule_admits_accounts_having_that_attribute() -> None:
    assert is_entitled(account(siret="21750001600019"), "attribute:siret")
    assert not is_entitled(account(siret=None), "attribute:siret")
    assert not is_entitled(account(siret=""), "attribute:siret")


def test_an_unknown_rule_kind_admits_nobody() -> None:
    assert not is_entitled(account(groups=["apa"]), "role:apa")


def test_several_rules_admit_an_account_matching_any_of_them() -> None:
    rule = "group:chorus population:citizen attribute:siret"
    assert is_entitled(account(groups=[], population="citizen"), rule)
    assert is_entitled(account(groups=["chorus"]), rule)
    assert is_entitled(account(groups=[], siret="21750001600019"), rule)
    assert not is_entitled(account(groups=["apa"], population="portal"), rule)


def test_an_account_not_entitled_is_refused_with_a_page() -> None:
    ctx = with_prompt(context(access_rule="group:chorus"))
    assert check_entitlement(ctx) == Refuse("not_entitled")


def test_an_account_not_entitled_with_prompt_none_is_access_denied() -> None:
    ctx = with_prompt(context({"prompt": "none"}, access_rule="group:chorus"))
    assert error_of(check_entitlement, ctx) == "access_denied"


def test_an_entitled_account_passes() -> None:
    assert check_entitlement(with_prompt(context(access_rule="group:apa"))) is None
