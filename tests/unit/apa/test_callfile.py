"""Call files: names, SIRET keys, the schema, hostile XML; the demo processor."""

from __future__ import annotations

import pytest

from clients.apa.callfile import CallFileError, parse, read_name, valid_siret
from clients.apa.processor import respond

GOOD = (b'<?xml version="1.0" encoding="UTF-8"?><appel siret="21750001600019" annee="2026">'
        b"<beneficiaire><reference>D-1</reference><numeroFiscal>1234567890123</numeroFiscal>"
        b"<nom>MARTIN</nom><prenom>Alix</prenom><dateNaissance>1941-03-12</dateNaissance>"
        b"</beneficiaire><beneficiaire><reference>D-2</reference>"
        b"<numeroFiscal>1234567890100</numeroFiscal><nom>DURAND</nom><prenom>Jo</prenom>"
        b"<dateNaissance>1939-11-02</dateNaissance></beneficiaire></appel>")


def test_a_good_name_gives_year_and_siret() -> None:
    assert read_name("2026_21750001600019_20260315143000.xml") == (2026, "21750001600019")


@pytest.mark.parametrize("name", [
    "appel.xml", "2026_21750001600019_20260315143000.XML", "2026_2175000160001_20260315143000.xml",
    "2026_21750001600019_20261315143000.xml", "2026_21750001600018_20260315143000.xml",
    "../2026_21750001600019_20260315143000.xml",
])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(CallFileError):
        read_name(name)


def test_siret_luhn_key() -> None:
    assert valid_siret("22940028800010") and not valid_siret("22940028800011")


def test_a_good_file_parses() -> None:
    call = parse(GOOD, "21750001600019", 2026)
    assert [b.reference for b in call.beneficiaries] == ["D-1", "D-2"]


@pytest.mark.parametrize(("data", "says"), [
    (b"<appel", "well-formed"),
    (b'<!DOCTYPE a [<!ENTITY b "c">]><appel/>', "DTD"),
    (b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><appel>&x;</appel>', "DTD"),
    (b'<!DOCTYPE a SYSTEM "http://127.0.0.1:1/evil.dtd"><appel/>', "DTD"),
    (b'<liste siret="21750001600019" annee="2026"/>', "root element"),
    (b'<appel siret="22940028800010" annee="2026"><beneficiaire/></appel>', "siret attribute"),
    (b'<appel siret="21750001600019" annee="2025"><beneficiaire/></appel>', "annee"),
    (b'<appel siret="21750001600019" annee="2026"/>', "between 1 and"),
    (GOOD.replace(b"1234567890123", b"12345"), "13 digits"),
    (GOOD.replace(b"1941-03-12", b"1941-13-12"), "dateNaissance"),
    (GOOD.replace(b"D-1", b"D 1"), "reference"),
])
def test_bad_content_says_what_is_wrong(data: bytes, says: str) -> None:
    with pytest.raises(CallFileError, match=says):
        parse(data, "21750001600019", 2026)


def test_the_demo_processor_is_deterministic() -> None:
    call = parse(GOOD, "21750001600019", 2026)
    first = respond(call, 1_790_000_000)
    assert first == respond(call, 1_790_000_000)
    assert b'reference="D-1" statut="accepte"' in first
    assert b'reference="D-2" statut="rejete"' in first and b"inconnu" in first
    assert b"<anneeRevenus>2024</anneeRevenus>" in first
