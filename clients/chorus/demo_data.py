"""Invented demo data: structures, their services and a few hundred received invoices from
invented suppliers (no name from the seeds). Deterministic (a seeded generator), loaded once:
a structure already there is left as it is."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from clients.chorus.models import Invoice, Membership, Person, Service, StatusChange, Structure
from clients.chorus.statuses import TRANSITIONS

if TYPE_CHECKING:
    from clients.chorus.service import ChorusService

# (identifier type, identifier, name, services); SIRETs with a valid key, all invented.
STRUCTURES = [
    ("SIRET", "21990123400018", "Commune de Valbrune",
     [("FACT", "Service des factures"), ("TECH", "Services techniques")]),
    ("SIRET", "25990456700026", "Syndicat intercommunal des eaux du Mont-Fleuri",
     [("COMPTA", "Comptabilité")]),
    ("SIRET", "20005678900012", "Communauté de communes des Trois Vallons",
     [("FIN", "Direction des finances"), ("ACHATS", "Commande publique")]),
]
SUPPLIERS = [
    ("Papeterie des Tilleuls", "41234567800011"), ("Garage Morvandiau", "52345678900016"),
    ("Élec'Azur Maintenance", "63456789000013"), ("Boulangerie du Pont-Vieux", "74567890100018"),
    ("Informatique Sillon SARL", "85678901200010"), ("Transports Alizé", "96789012300017"),
    ("Jardins de la Source", "17890123400013"), ("Bureau d'études Quartz", "28901234500010"),
]
START_STATUSES = ["MISE_A_DISPOSITION"] * 6 + ["SERVICE_FAIT", "MANDATEE", "SUSPENDUE",
                                               "MISE_EN_PAIEMENT", "REJETEE", "COMPLETEE"]
DAY = 86400


def _valid_siret(base: str) -> str:
    from sitekit.identifiers import luhn_valid

    for last in "0123456789":
        if luhn_valid(base[:13] + last):
            return base[:13] + last
    raise AssertionError(base)


def load(service: ChorusService, managers: list[tuple[str, ...]], invoices: int = 300
         ) -> dict[str, int]:
    """Structures (each manager given becomes main manager of all), their invoices."""
    rng = random.Random(2017)
    now = service.now()
    made = {"structures": 0, "invoices": 0}
    with service.db.transaction() as s:
        for sub, email, name in managers:
            if s.get(Person, sub) is None:
                s.add(Person(sub=sub, email=email or None, name=name or sub, session_hash=None,
                             last_login_at=None, previous_login_at=None))
        s.flush()
        for kind, raw, name, services in STRUCTURES:
            identifier = _valid_siret(raw)
            from clients.chorus import storage

            if storage.structure_by_identifier(s, kind, identifier) is not None:
                continue
            structure = Structure(identifier_type=kind, identifier=identifier, name=name,
                                  status="ACTIF", created_at=now - 400 * DAY)
            s.add(structure)
            s.flush()
            made["structures"] += 1
            rows = [Service(structure_id=structure.id, code=code, label=label, active=True)
                    for code, label in services]
            s.add_all(rows)
            s.flush()
            for sub, _, _ in managers:
                s.add(Membership(structure_id=structure.id, sub=sub, role="principal",
                                 rights="modification", created_at=now, validated_at=now))
            for n in range(invoices // len(STRUCTURES)):
                supplier, supplier_siret = rng.choice(SUPPLIERS)
                deposited = now - rng.randint(1, 200) * DAY - rng.randint(0, DAY)
                ht = rng.randint(2_000, 2_500_000)
                status = rng.choice(START_STATUSES)
                invoice = Invoice(
                    structure_id=structure.id, service_id=rng.choice(rows).id,
                    number=f"F{2026}-{structure.id:02d}{n:05d}", supplier_code=
                    _valid_siret(supplier_siret), supplier_name=supplier,
                    invoice_date=_date(deposited - rng.randint(0, 10) * DAY),
                    deposited_at=deposited, status=status,
                    status_at=deposited + rng.randint(DAY, 5 * DAY),
                    status_comment="Pièce justificative manquante"
                    if status in ("SUSPENDUE", "REJETEE") else None,
                    mandate_number=f"M{rng.randint(10000, 99999)}"
                    if status == "MANDATEE" else None,
                    currency="EUR", amount_ht=ht, amount_ttc=ht * 12 // 10,
                    order_number=f"BC-{rng.randint(1000, 9999)}" if rng.random() < .5 else None,
                    kind="AVOIR" if rng.random() < .05 else "FACTURE", downloaded=False)
                s.add(invoice)
                s.flush()
                s.add(StatusChange(invoice_id=invoice.id, status="MISE_A_DISPOSITION",
                                   at=deposited, comment=None, by_name="Chorus Pro"))
                if status != "MISE_A_DISPOSITION":
                    s.add(StatusChange(invoice_id=invoice.id, status=status,
                                       at=invoice.status_at, comment=invoice.status_comment,
                                       by_name="Chorus Pro"))
                made["invoices"] += 1
    assert all(TRANSITIONS.get(st) is not None for st in START_STATUSES)
    return made


def add_invoice(service: ChorusService, structure_id: int, number: str, supplier: str,
                ttc_cents: int, status: str = "MISE_A_DISPOSITION") -> int:
    """One more received invoice (tests, demo): its id."""
    now = service.now()
    with service.db.transaction() as s:
        invoice = Invoice(structure_id=structure_id, service_id=None, number=number,
                          supplier_code="41234567800011", supplier_name=supplier,
                          invoice_date=_date(now), deposited_at=now, status=status,
                          status_at=now, status_comment=None, mandate_number=None,
                          currency="EUR", amount_ht=ttc_cents * 10 // 12, amount_ttc=ttc_cents,
                          order_number=None, kind="FACTURE", downloaded=False)
        s.add(invoice)
        s.flush()
        s.add(StatusChange(invoice_id=invoice.id, status=status, at=now, comment=None,
                           by_name="Chorus Pro"))
        return invoice.id


def _date(timestamp: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC).date().isoformat()
