"""The administration's answer to a call file, for the demo and the tests: deterministic data
derived from each beneficiary's fiscal number. A real deployment replaces this module
(APA_PROCESSOR names the function); the contract is `respond(call, made_at) -> bytes`.

Rules of this demo processor, per beneficiary:
- a fiscal number ending in "00" is unknown: rejected, reason "Numéro fiscal inconnu";
- otherwise accepted with a reference tax income, a number of tax shares and the income
  year (the call's year minus 2), all derived from a SHA-256 of the fiscal number.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from clients.apa.callfile import CallFile


def respond(call: CallFile, made_at: int) -> bytes:
    root = Element("reponse", siret=call.siret, annee=str(call.year),
                   dateTraitement=datetime.fromtimestamp(made_at, UTC).strftime(
                       "%Y-%m-%dT%H:%M:%SZ"))
    for person in call.beneficiaries:
        item = SubElement(root, "beneficiaire", reference=person.reference)
        if person.fiscal_number.endswith("00"):
            item.set("statut", "rejete")
            SubElement(item, "motif").text = "Numéro fiscal inconnu"
            continue
        item.set("statut", "accepte")
        digest = int.from_bytes(hashlib.sha256(person.fiscal_number.encode()).digest()[:8])
        SubElement(item, "anneeRevenus").text = str(call.year - 2)
        SubElement(item, "revenuFiscalReference").text = str(8_000 + digest % 52_000)
        SubElement(item, "nombreParts").text = f"{1 + (digest >> 20) % 4 / 2:.1f}"
    data: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return data
