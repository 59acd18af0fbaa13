"""Which claims an application receives: scopes (OIDC Core §5.4) and the `claims`
parameter (§5.5)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from authlib.oauth2.rfc6749 import InvalidRequestError

from idp.oidc.claims import (
    SCOPE_CLAIMS,
    allowed_claim_names,
    consent_claim_names,
    parse_claims_parameter,
    release,
    released_claim_names,
    requested_claim_names,
)


def account(**overrides: object) -> SimpleNamespace:
    values: dict[str, object] = {
        "username": "cbernard-xt", "given_name": "Camille", "family_name": "Bernard",
        "email": "camille@example.test", "email_verified": True,
        "phone_number": "+33600000001", "siret": "21750001600019",
        "street_address": None, "postal_code": None, "locality": None, "region": None,
        "country": None, "usage_name": None, "birthdate": None, "gender": None,
        "birthplace": None, "birthcountry": None, "identity_hash": None,
    }
    values.update(overrides)
    return SimpleNamespace(**values)


# parse_claims_parameter ---------------------------------------------------------------------


def test_an_absent_claims_parameter_is_none() -> None:
    assert parse_claims_parameter(None) is None and parse_claims_parameter("") is None


def test_a_valid_claims_parameter_is_returned_as_is() -> None:
    value = {"id_token": {"acr": {"essential": True, "values": ["eidas1"]}},
             "userinfo": {"email": None, "siret": {"essential": True}}}
    assert parse_claims_parameter(json.dumps(value)) == value


def test_non_json_claims_are_refused() -> None:
    with pytest.raises(InvalidRequestError, match="JSON"):
        parse_claims_parameter("{id_token: {}}")


@pytest.mark.parametrize("raw", ['["id_token"]', '"id_token"', "null", "42"])
def test_claims_that_are_not_an_object_are_refused(raw: str) -> None:
    with pytest.raises(InvalidRequestError):
        parse_claims_parameter(raw)


def test_an_unknown_top_level_member_is_refused() -> None:
    with pytest.raises(InvalidRequestError):
        parse_claims_parameter('{"userinfo": {}, "access_token": {}}')


@pytest.mark.parametrize("member", ['"email"', '["email"]', "null"])
def test_a_member_that_is_not_an_object_is_refused(member: str) -> None:
    with pytest.raises(InvalidRequestError):
        parse_claims_parameter(f'{{"userinfo": {member}}}')


@pytest.mark.parametrize("request_", ["true", '"essential"', '["x"]', "1"])
def test_a_claim_request_that_is_neither_null_nor_an_object_is_refused(request_: str) -> None:
    with pytest.raises(InvalidRequestError):
        parse_claims_parameter(f'{{"id_token": {{"email": {request_}}}}}')


@pytest.mark.parametrize("raw", ["[" * 5000, '{"userinfo": ' * 5000])
def test_deeply_nested_claims_are_refused_as_a_bad_request(raw: str) -> None:
    # Not a RecursionError escaping as a server error.
    with pytest.raises(InvalidRequestError):
        parse_claims_parameter(raw)


# requested_claim_names ----------------------------------------------------------------------


@pytest.mark.parametrize(("scope", "expected"), [
    ("openid", set()),
    ("openid profile", {"name", "given_name", "family_name", "preferred_username",
                        "updated_at", "birthdate", "gender"}),
    # FranceConnect's scopes.
    ("openid birth", {"birthplace", "birthcountry"}),
    ("openid identite_pivot", {"given_name", "family_name", "birthdate", "gender",
                               "birthplace", "birthcountry"}),
    ("openid given_name gender", {"given_name", "gender"}),
    ("openid family_name birthdate birthplace birthcountry preferred_username",
     {"family_name", "birthdate", "birthplace", "birthcountry", "preferred_username"}),
    ("openid email", {"email", "email_verified"}),
    ("openid phone", {"phone_number", "phone_number_verified"}),
    ("openid siret", {"siret"}),
    ("openid email siret unknown", {"email", "email_verified", "siret"}),
])
def test_userinfo_claims_follow_the_scopes(scope: str, expected: set[str]) -> None:
    assert requested_claim_names(scope, None, "userinfo") == expected


def test_the_claims_parameter_adds_userinfo_claims_without_their_scope() -> None:
    claims = {"userinfo": {"siret": None}}
    assert requested_claim_names("openid email", claims, "userinfo") == {
        "email", "email_verified", "siret"}


def test_unsupported_claim_names_are_ignored() -> None:
    claims = {"userinfo": {"nationality": None, "email": None}}
    assert requested_claim_names("openid", claims, "userinfo") == {"email"}


def test_scopes_put_no_claim_in_the_id_token() -> None:
    assert requested_claim_names("openid profile email phone siret", None, "id_token") == set()


def test_the_id_token_gets_only_the_claims_parameters_id_token_claims() -> None:
    claims = {"id_token": {"email": None}, "userinfo": {"siret": None}}
    assert requested_claim_names("openid profile", claims, "id_token") == {"email"}


def test_consent_lists_the_claims_of_both_targets() -> None:
    claims = {"id_token": {"siret": None}}
    assert consent_claim_names("openid email", claims, ["openid", "email", "siret"]) == [
        "email", "email_verified", "siret"]


# minimal disclosure: asked ∩ allowed by the registration -----------------------------------


def test_a_claim_asked_through_claims_but_not_registered_is_not_released() -> None:
    claims = {"userinfo": {"siret": None, "email": None}, "id_token": {"phone_number": None}}
    registered = ["openid", "email"]
    assert released_claim_names("openid", claims, "userinfo", registered) == {"email"}
    assert released_claim_names("openid", claims, "id_token", registered) == set()
    assert consent_claim_names("openid", claims, registered) == ["email"]


def test_the_registration_allows_the_claims_of_its_scopes() -> None:
    assert allowed_claim_names(["openid", "birth", "email"]) == {
        "birthplace", "birthcountry", "email", "email_verified"}
    assert allowed_claim_names(["openid", "unknown"]) == set()


def test_every_released_claim_has_a_plain_language_line() -> None:
    from idp.oidc.data_kinds import KIND_OF_CLAIM

    assert {c for names in SCOPE_CLAIMS.values() for c in names} <= set(KIND_OF_CLAIM)


def test_claims_of_one_kind_make_one_line() -> None:
    from idp.oidc.data_kinds import data_kind_labels

    assert data_kind_labels(["email_verified", "name", "family_name", "email", "given_name",
                             "birthcountry", "birthplace", "acr"]) == [
        "Family name and first names", "Place and country of birth", "E-mail address"]


# release ------------------------------------------------------------------------------------


def test_release_gives_the_requested_claims_only() -> None:
    assert release(account(), {"email", "email_verified"}) == {
        "email": "camille@example.test", "email_verified": True}


def test_release_omits_claims_without_a_value() -> None:
    released = release(account(siret=None, email=None, phone_number=None),
                       {"siret", "email", "email_verified", "phone_number",
                        "phone_number_verified", "given_name"})
    assert released == {"given_name": "Camille"}


def test_address_is_released_as_the_structured_claim_of_section_5_1_1() -> None:
    with_address = account(street_address="20 avenue de Ségur\nBâtiment B",
                           postal_code="75007", locality="Paris", country="France")
    assert release(with_address, {"address"}) == {"address": {
        "street_address": "20 avenue de Ségur\nBâtiment B", "postal_code": "75007",
        "locality": "Paris", "country": "France",
        "formatted": "20 avenue de Ségur\nBâtiment B\n75007 Paris\nFrance"}}


def test_release_ignores_names_the_account_cannot_state() -> None:
    assert release(account(), {"acr", "updated_at", "address"}) == {}


def test_release_builds_the_name_from_its_parts() -> None:
    assert release(account(given_name=None), {"name"}) == {"name": "Bernard"}
    assert release(account(given_name=None, family_name=None), {"name"}) == {}


PIVOT = {"usage_name": "Martin", "birthdate": "1980-04-01", "gender": "female",
         "birthplace": "2A004", "birthcountry": "99100", "identity_hash": "0" * 64}


def test_an_account_with_a_pivot_identity_releases_its_birth_claims() -> None:
    released = release(account(**PIVOT), {"birthdate", "gender", "birthplace", "birthcountry"})
    assert released == {"birthdate": "1980-04-01", "gender": "female", "birthplace": "2A004",
                        "birthcountry": "99100"}


def test_preferred_username_is_the_usage_name_of_an_account_with_a_pivot_identity() -> None:
    assert release(account(**PIVOT), {"preferred_username"}) == {"preferred_username": "Martin"}
    # No usage name: none, rather than the generated identifier ("fc-…").
    assert release(account(**{**PIVOT, "usage_name": None}), {"preferred_username"}) == {}


def test_preferred_username_is_the_username_without_a_pivot_identity() -> None:
    assert release(account(), {"preferred_username"}) == {"preferred_username": "cbernard-xt"}
    assert release(account(), {"birthdate", "gender", "birthplace", "birthcountry"}) == {}
