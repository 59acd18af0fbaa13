"""The rules of login names (seed 001), without storage: normalisation, the names of an
account, and the plan that recomputes them when the agent domains change."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idp import login_names
from idp.login_names import AGENT, EMAIL, IDENTIFIER, names_of, normalise, plan
from idp.settings import Settings

AGENTS = frozenset({"agents.gouv.example"})


@pytest.mark.parametrize(("typed", "normal"), [
    ("JDurand-XT", "jdurand-xt"),
    ("  jdurand-xt\t", "jdurand-xt"),
    ("ＪＤＵＲＡＮＤ-ＸＴ", "jdurand-xt"),  # full-width letters (NFKC)
    ("Straße-xt", "strasse-xt"),  # case folding, not only lower case
    ("E\u0301LODIE-xt", "\u00e9lodie-xt"),  # combining accent composed (NFC within NFKC)
])
def test_names_are_compared_in_nfkc_casefolded_form(typed, normal) -> None:  # type: ignore[no-untyped-def]
    assert normalise(typed) == normal


@given(st.text(max_size=40))
def test_normalising_is_idempotent(value: str) -> None:
    assert normalise(normalise(value)) == normalise(value)


def test_an_external_partner_answers_to_the_identifier_and_the_address() -> None:
    assert names_of("jdurand-xt", "Jean.Durand@Partenaire.example", AGENTS) == {
        "jdurand-xt": IDENTIFIER, "jean.durand@partenaire.example": EMAIL}


def test_an_agent_also_answers_to_the_left_part_of_the_address() -> None:
    assert names_of("A123456", "Marie.Martin@AGENTS.gouv.example", AGENTS) == {
        "a123456": IDENTIFIER, "marie.martin@agents.gouv.example": EMAIL,
        "marie.martin": AGENT}


def test_a_subdomain_of_an_agent_domain_is_not_an_agent_domain() -> None:
    assert AGENT not in names_of("x", "x.y@sub.agents.gouv.example", AGENTS).values()


def test_a_name_shared_by_one_accounts_identifier_and_left_part_is_kept_once() -> None:
    assert names_of("lpetit", "lpetit@agents.gouv.example", AGENTS) == {
        "lpetit": IDENTIFIER, "lpetit@agents.gouv.example": EMAIL}


def test_unknown_agent_addresses_are_throttled_under_their_left_part() -> None:
    assert login_names.throttle_name("Ghost@Agents.Gouv.Example", AGENTS) == "ghost"
    assert login_names.throttle_name("Ghost@ailleurs.example", AGENTS) == "ghost@ailleurs.example"


def test_the_domain_setting_is_normalised() -> None:
    assert login_names.parse_domains(" Agents.Gouv.Example, @autre.example,, ") == {
        "agents.gouv.example", "autre.example"}


@pytest.mark.parametrize("setting", ["agents", "jd@agents.gouv.example", "agents gouv.fr"])
def test_a_setting_that_is_not_a_list_of_domains_is_refused(setting: str) -> None:
    with pytest.raises(ValueError, match=r"IDP_AGENT_EMAIL_DOMAINS: .* is not a domain name"):
        Settings.from_env({"IDP_AGENT_EMAIL_DOMAINS": setting})


def test_a_new_agent_domain_never_takes_a_name_from_the_account_that_has_it() -> None:
    accounts = [(1, "jdurand-xt", "jean.durand@partenaire.example"),
                (2, "jean.durand", None)]
    existing = {"jdurand-xt": (1, IDENTIFIER), "jean.durand@partenaire.example": (1, EMAIL),
                "jean.durand": (2, IDENTIFIER)}
    result = plan(accounts, existing, frozenset({"partenaire.example"}))
    assert result.delete == [] and result.insert == []
    [clash] = result.clashes
    assert (clash.name, clash.account, clash.holder) == ("jean.durand", "jdurand-xt",
                                                         "jean.durand")


def test_a_removed_agent_domain_takes_its_left_parts_away() -> None:
    accounts = [(1, "A1", "m.martin@agents.gouv.example")]
    existing = {"a1": (1, IDENTIFIER), "m.martin@agents.gouv.example": (1, EMAIL),
                "m.martin": (1, AGENT)}
    result = plan(accounts, existing, frozenset())
    assert result.delete == ["m.martin"] and result.insert == [] and result.clashes == []


def test_free_names_go_to_identifiers_first_then_to_the_oldest_account() -> None:
    accounts = [(1, "B1", "pdupont@agents.gouv.example"),
                (2, "pdupont", None),
                (3, "C3", "pdupont@autre.example")]
    result = plan(accounts, {}, frozenset({"agents.gouv.example", "autre.example"}))
    owners = {name: account for name, account, _ in result.insert}
    assert owners["pdupont"] == 2  # the identifier, though account 1 is older
    assert [(c.account, c.holder) for c in result.clashes] == [("B1", "pdupont"),
                                                                ("C3", "pdupont")]
