"""Call files: their name, and their content checked against APA's schema (docs/apa.md).

    <appel siret="21750001600019" annee="2026">
      <beneficiaire>
        <reference>D-000123</reference>            1-32 letters, digits, '-' or '_'
        <numeroFiscal>1234567890123</numeroFiscal>  13 digits
        <nom>MARTIN</nom>                           1-100 characters
        <prenom>Alix</prenom>                       1-100 characters
        <dateNaissance>1941-03-12</dateNaissance>   YYYY-MM-DD
      </beneficiaire>
      ... (1 to 10,000 beneficiaries)
    </appel>

The XML is parsed by defusedxml with DTDs forbidden, so neither entity expansion (billion
laughs) nor external entities (XXE) can happen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from sitekit.identifiers import valid_siret
from sitekit.texts import N_, Text

NAME = re.compile(r"^(\d{4})_(\d{14})_(\d{14})\.xml$")
REFERENCE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
FISCAL_NUMBER = re.compile(r"^\d{13}$")
MAX_BENEFICIARIES = 10_000
FIELDS = ("reference", "numeroFiscal", "nom", "prenom", "dateNaissance")


class CallFileError(ValueError):
    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Beneficiary:
    reference: str
    fiscal_number: str
    family_name: str
    given_name: str
    birth_date: str


@dataclass(frozen=True)
class CallFile:
    year: int
    siret: str
    beneficiaries: tuple[Beneficiary, ...]


def read_name(name: str) -> tuple[int, str]:
    """(year, SIRET) a call file's name announces; CallFileError if the name is not valid."""
    match = NAME.match(name)
    if match is None:
        raise CallFileError(Text(N_("The file name must be YEAR_SIRET_YYYYMMDDhhmmss.xml, "
                                    "for example 2026_21750001600019_20260315143000.xml.")))
    year, siret, stamp = match.groups()
    try:
        datetime.strptime(stamp, "%Y%m%d%H%M%S")
    except ValueError:
        raise CallFileError(Text(N_("The date and time in the file name are not valid."))
                            ) from None
    if not valid_siret(siret):
        raise CallFileError(Text(N_("The SIRET {siret} in the file name is not valid."),
                                 siret=siret))
    return int(year), siret


def parse(data: bytes, siret: str, year: int | None = None) -> CallFile:
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ValueError):
        raise CallFileError(Text(N_("The file is refused: it declares a DTD or entities, "
                                    "which are not allowed."))) from None
    except ParseError as exc:
        line = exc.position[0] if exc.position else 0
        raise CallFileError(Text(N_("The file is not well-formed XML (line {line})."),
                                 line=line)) from None
    if root.tag != "appel":
        raise CallFileError(Text(N_("The root element must be <appel>.")))
    if root.get("siret") != siret:
        raise CallFileError(Text(N_("The siret attribute of <appel> must be the SIRET of the "
                                    "file name ({siret})."), siret=siret))
    annee = root.get("annee", "")
    if not re.fullmatch(r"\d{4}", annee) or (year is not None and int(annee) != year):
        raise CallFileError(Text(N_("The annee attribute of <appel> must be the year of the "
                                    "file name.")))
    people = list(root)
    if not 1 <= len(people) <= MAX_BENEFICIARIES:
        raise CallFileError(Text(N_("The file must list between 1 and {max} beneficiaries."),
                                 max=MAX_BENEFICIARIES))
    return CallFile(int(annee), siret, tuple(_beneficiary(p, n)
                                             for n, p in enumerate(people, 1)))


def _beneficiary(element: Element, number: int) -> Beneficiary:
    if element.tag != "beneficiaire":
        raise CallFileError(Text(N_("Element {number} must be <beneficiaire>."), number=number))
    values = {}
    for name in FIELDS:
        child = element.find(name)
        text = (child.text or "").strip() if child is not None else ""
        if not text or len(text) > 100:
            raise CallFileError(Text(N_("Beneficiary {number}: <{field}> is missing or too "
                                        "long."), number=number, field=name))
        values[name] = text
    if not REFERENCE.match(values["reference"]):
        raise CallFileError(Text(N_("Beneficiary {number}: <reference> may hold only letters, "
                                    "digits, '-' and '_'."), number=number))
    if not FISCAL_NUMBER.match(values["numeroFiscal"]):
        raise CallFileError(Text(N_("Beneficiary {number}: <numeroFiscal> must be 13 digits."),
                                 number=number))
    try:
        date.fromisoformat(values["dateNaissance"])
    except ValueError:
        raise CallFileError(Text(N_("Beneficiary {number}: <dateNaissance> must be a date "
                                    "YYYY-MM-DD."), number=number)) from None
    return Beneficiary(values["reference"], values["numeroFiscal"], values["nom"],
                       values["prenom"], values["dateNaissance"])
