"""The pivot identity an identity provider states (FEDERATION.md, "The pivot identity"):
validated strictly, hashed stably."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idp.federation.pivot import (
    PivotIdentity,
    PivotInvalid,
    identity_hash,
    validate_pivot,
)

TODAY = datetime.date(2026, 11, 27)
VALID: dict[str, Any] = {
    "given_name": "Angela Claire Louise", "family_name": "DUBOIS", "preferred_username": "",
    "birthdate": "1962-08-24", "gender": "female", "birthplace": "75107",
    "birthcountry": "99100", "email": "angela@example.test", "sub": "ignored", "acr": "eidas1",
}


def pivot(**changes: Any) -> PivotIdentity:
    claims = {**VALID, **changes}
    return validate_pivot({k: v for k, v in claims.items() if v is not ...}, today=TODAY)


def refused(**changes: Any) -> PivotInvalid:
    with pytest.raises(PivotInvalid) as caught:
        pivot(**changes)
    return caught.value


# What is accepted ---------------------------------------------------------------------------


def test_a_valid_answer_gives_the_pivot_identity() -> None:
    assert pivot() == PivotIdentity(
        given_name="Angela Claire Louise", family_name="DUBOIS", preferred_username=None,
        birthdate="1962-08-24", gender="female", birthplace="75107", birthcountry="99100",
        email="angela@example.test")


@pytest.mark.parametrize(("sent", "kept"), [
    ("1962-08-00", "1962-08-01"), ("1962-00-00", "1962-01-01"), ("2000-02-29", "2000-02-29")])
def test_presumed_birthdates_become_the_first_day(sent: str, kept: str) -> None:
    assert pivot(birthdate=sent).birthdate == kept


def test_corsica_communes_are_accepted() -> None:
    assert pivot(birthplace="2A004").birthplace == "2A004"
    assert pivot(birthplace="2B033").birthplace == "2B033"


@pytest.mark.parametrize("empty", [None, "", ...])
def test_born_abroad_the_birthplace_is_empty(empty: Any) -> None:
    abroad = pivot(birthcountry="99134", birthplace=empty)
    assert abroad.birthplace is None and not abroad.born_in_france


def test_names_are_nfc_and_stripped_and_the_usage_name_is_kept() -> None:
    decomposed = "He\u0301le\u0300ne"  # é, è as letter + combining accent
    p = pivot(given_name=f"  {decomposed} ", preferred_username="MARTIN")
    assert p.given_name == "Hélène" and p.preferred_username == "MARTIN"


def test_a_name_of_256_characters_is_accepted() -> None:
    assert len(pivot(family_name="A" * 256).family_name) == 256


def test_an_email_of_the_longest_parts_is_accepted() -> None:
    longest = "a" * 64 + "@" + ".".join(["b" * 63] * 2) + ".fr"
    assert pivot(email=longest).email == longest


def test_the_email_is_optional() -> None:
    assert pivot(email=None).email is None and pivot(email=...).email is None


# What is refused ----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["given_name", "family_name", "birthdate", "gender",
                                   "birthcountry"])
def test_each_required_claim_is_required(field: str) -> None:
    assert refused(**{field: ...}).field == field
    assert refused(**{field: ""}).field == field
    assert refused(**{field: None}).field == field


def test_born_in_france_the_birthplace_is_required() -> None:
    assert refused(birthplace=...).field == "birthplace"
    assert refused(birthplace="").field == "birthplace"


def test_born_abroad_a_birthplace_is_refused_not_dropped() -> None:
    error = refused(birthcountry="99134", birthplace="75107")
    assert (error.field, error.reason) == ("birthplace", "must be empty when born abroad")


@pytest.mark.parametrize("code", ["7510", "751070", "2C004", "2a004", "ABCDE", "75 07",
                                  "７５１０７", "75107\n"])
def test_birthplaces_that_are_no_insee_commune_code_are_refused(code: str) -> None:
    assert refused(birthplace=code).field == "birthplace"


@pytest.mark.parametrize("code", ["99", "9910", "991000", "98100", "FR", "99A00", "99100 "])
def test_birthcountries_that_are_no_insee_country_code_are_refused(code: str) -> None:
    assert refused(birthcountry=code).field == "birthcountry"


@pytest.mark.parametrize("date", [
    "1962-02-30", "1962-13-01", "1962-00-15", "62-08-24", "1962/08/24", "1962-8-24",
    "1962-08-24T00:00:00", "１９６２-08-24", "1879-12-31", "2026-11-28", "9999-12-31"])
def test_impossible_or_implausible_birthdates_are_refused(date: str) -> None:
    assert refused(birthdate=date).field == "birthdate"


def test_a_birthdate_of_today_is_accepted_and_tomorrow_is_the_future() -> None:
    assert pivot(birthdate="2026-11-27").birthdate == "2026-11-27"
    assert refused(birthdate="2026-11-28").reason == "is in the future"


@pytest.mark.parametrize("gender", ["M", "F", "Male", "other", "unknown", "femme", " male"])
def test_unknown_genders_are_refused(gender: str) -> None:
    assert refused(gender=gender).field == "gender"


@pytest.mark.parametrize("email", ["no-at-sign", "a@b", "a@@b.fr", "a b@c.fr", "a@-b.fr",
                                   ".a@b.fr", "a.@b.fr", "a..b@c.fr", "é@b.fr", "a@b.fr\n",
                                   "a@" + "b" * 64 + ".fr", "a" * 65 + "@b.fr",
                                   "a" * 250 + "@b.fr"])
def test_malformed_emails_are_refused(email: str) -> None:
    assert refused(email=email).field == "email"


def test_a_name_longer_than_256_characters_is_refused() -> None:
    assert refused(given_name="A" * 257).field == "given_name"
    assert refused(given_name="A" * 100_000).field == "given_name"


@pytest.mark.parametrize("character", ["\x00", "\n", "\r", "\t", "\x1b", "\x7f", "\u202e",
                                       "\u200b", "\u2028", "\ue000", "\ud800"])
def test_control_and_invisible_characters_are_refused(character: str) -> None:
    error = refused(family_name=f"DU{character}BOIS")
    assert error.field == "family_name" and "DU" not in str(error)  # never the value


@pytest.mark.parametrize("value", [42, 1.5, True, ["DUBOIS"], {"v": "DUBOIS"}, b"DUBOIS"])
def test_values_that_are_not_strings_are_refused(value: Any) -> None:
    for field in ("given_name", "family_name", "birthdate", "gender", "birthcountry",
                  "birthplace", "email", "preferred_username"):
        assert refused(**{field: value}).field == field


def test_an_answer_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(PivotInvalid):
        validate_pivot(["given_name"])  # type: ignore[arg-type]  # the hostile input tested


# Hostile input: whatever an FI sends, validate_pivot answers a PivotIdentity or PivotInvalid --

ANYTHING = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.binary(),
                     st.text(), st.integers(250, 5000).map(lambda n: "é" * n),
                     st.lists(st.text(), max_size=3),
                     st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2))
FIELDS = ("given_name", "family_name", "preferred_username", "birthdate", "gender",
          "birthplace", "birthcountry", "email")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@given(st.dictionaries(st.sampled_from(FIELDS), ANYTHING))
def test_hostile_claims_give_an_identity_or_a_pivot_invalid(changes: dict[str, Any]) -> None:
    try:
        p = validate_pivot({**VALID, **changes}, today=TODAY)
    except PivotInvalid as error:
        assert error.field in (*FIELDS, "claims")
        return
    for value in (p.given_name, p.family_name, p.preferred_username, p.email):
        assert value is None or (0 < len(value) <= 256 and not CONTROL.search(value))
    assert datetime.date(1880, 1, 1) <= datetime.date.fromisoformat(p.birthdate) <= TODAY


@given(st.text(min_size=1, max_size=300))
def test_any_text_as_a_name_is_accepted_only_clean_and_bounded(name: str) -> None:
    try:
        p = validate_pivot({**VALID, "given_name": name}, today=TODAY)
    except PivotInvalid as error:
        assert error.field == "given_name"
        return
    assert 0 < len(p.given_name) <= 256 and p.given_name == p.given_name.strip()
    assert not CONTROL.search(p.given_name)


# identity_hash ------------------------------------------------------------------------------


def test_the_hash_is_sha256_hex() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", identity_hash(pivot()))


def test_the_hash_ignores_case_spacing_and_compatibility_forms() -> None:
    base = identity_hash(pivot())
    assert identity_hash(pivot(given_name="angela   claire louise", family_name="Dubois")) == base
    assert identity_hash(pivot(given_name="Ａngela Claire\u00a0Louise")) == base  # NFKC


def test_the_hash_ignores_what_is_not_the_person() -> None:
    base = identity_hash(pivot())
    assert identity_hash(pivot(email=None, preferred_username="MARTIN", sub="other")) == base


def test_a_presumed_date_hashes_as_its_first_day() -> None:
    assert (identity_hash(pivot(birthdate="1962-08-00"))
            == identity_hash(pivot(birthdate="1962-08-01")))


def test_accents_are_significant() -> None:
    # Documented choice: FC hashes the names as sent; a looser match could merge two people.
    assert (identity_hash(pivot(given_name="Hélène"))
            != identity_hash(pivot(given_name="Helene")))


@pytest.mark.parametrize("field", ["given_name", "family_name", "birthdate", "gender",
                                   "birthplace", "birthcountry"])
def test_each_pivot_field_changes_the_hash(field: str) -> None:
    other = {"given_name": "Angela", "family_name": "DURAND", "birthdate": "1962-08-25",
             "gender": "male", "birthplace": "2A004", "birthcountry": "99134"}[field]
    changes = {field: other}
    if field == "birthcountry":
        changes["birthplace"] = None
    assert identity_hash(pivot(**changes)) != identity_hash(pivot())


def test_no_value_can_be_shifted_into_the_next_field() -> None:
    assert (identity_hash(pivot(given_name="Jean Paul", family_name="MARTIN"))
            != identity_hash(pivot(given_name="Jean", family_name="Paul MARTIN")))


def test_the_hash_is_stable_across_versions() -> None:
    # Stored in accounts.identity_hash: a change of normalisation would split people.
    assert identity_hash(pivot()) == identity_hash(PivotIdentity(
        "Angela Claire Louise", "DUBOIS", None, "1962-08-24", "female", "75107", "99100", None))
    # SHA-256 of the JSON array of the normalised fields, computed by hand:
    # printf '%s' '["angela claire louise","dubois","1962-08-24","female","75107","99100"]'
    #   | sha256sum
    assert identity_hash(pivot()) == (
        "7b450d65c050a34cf47f8c8a88fa3c62b4fb8d6427a0bdb64323a831d7fd8e82")
