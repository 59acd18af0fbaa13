"""Kinds of personal data, in the words a person reads: one line per kind, not per claim.

The consent and information pages, and later the citizen's history of data exchanges, show
what an application receives as these lines ("Nom et prénoms", "Date de naissance"), never
as claim names: `name`, `given_name` and `family_name` are one kind, `email` and
`email_verified` another. Labels are English message ids (`N_`) translated by the web layer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sitekit.texts import N_


@dataclass(frozen=True)
class DataKind:
    key: str
    label: str  # an English message id
    claims: tuple[str, ...]


# In the order the lines are shown.
DATA_KINDS: tuple[DataKind, ...] = (
    DataKind("names", N_("Family name and first names"), ("name", "given_name", "family_name")),
    DataKind("usage_name", N_("Usage name"), ("preferred_username",)),
    DataKind("birthdate", N_("Date of birth"), ("birthdate",)),
    DataKind("gender", N_("Sex"), ("gender",)),
    DataKind("birth_place", N_("Place and country of birth"), ("birthplace", "birthcountry")),
    DataKind("email", N_("E-mail address"), ("email", "email_verified")),
    DataKind("phone", N_("Telephone number"), ("phone_number", "phone_number_verified")),
    DataKind("address", N_("Postal address"), ("address",)),
    DataKind("siret", N_("SIRET number"), ("siret",)),
    DataKind("updated_at", N_("Date your information was last updated"), ("updated_at",)),
)

KIND_OF_CLAIM: dict[str, DataKind] = {claim: kind for kind in DATA_KINDS for claim in kind.claims}


def data_kinds(claim_names: Iterable[str]) -> list[DataKind]:
    """The kinds of data `claim_names` make up, once each, in display order; claims of no
    kind (protocol claims such as `acr`) are left out."""
    present = {KIND_OF_CLAIM[name].key for name in claim_names if name in KIND_OF_CLAIM}
    return [kind for kind in DATA_KINDS if kind.key in present]


def data_kind_labels(claim_names: Iterable[str]) -> list[str]:
    """The message ids of the lines to show for `claim_names`."""
    return [kind.label for kind in data_kinds(claim_names)]
