"""Chorus's queries, named after what they ask (with its table models, the only Chorus
module that imports SQLAlchemy). Each takes the session of the caller's transaction or read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, select, update
from sqlalchemy.orm import Session

from clients.chorus.models import (
    Invoice,
    Mail,
    Membership,
    Person,
    Service,
    StatusChange,
    Structure,
    TechnicalUser,
)
from sitekit.storage.database import rowcount


def person(s: Session, sub: str) -> Person | None:
    return s.get(Person, sub)


def person_by_email_or_sub(s: Session, who: str) -> Person | None:
    """The person known by this hub `sub`, else by this e-mail address (case-insensitive;
    None when several people share it)."""
    found = s.get(Person, who)
    if found is not None:
        return found
    rows = s.scalars(select(Person).where(func.lower(Person.email) == who.lower())
                     .limit(2)).all()
    return rows[0] if len(rows) == 1 else None


def structure_by_identifier(s: Session, kind: str, identifier: str) -> Structure | None:
    return s.scalars(select(Structure).where(Structure.identifier_type == kind,
                                             Structure.identifier == identifier)).first()


def membership(s: Session, structure_id: int, sub: str) -> Membership | None:
    return s.scalars(select(Membership).where(Membership.structure_id == structure_id,
                                              Membership.sub == sub)).first()


def structures_of(s: Session, sub: str, offset: int, size: int
                  ) -> tuple[int, list[tuple[Structure, Membership]]]:
    """(count, one page) of the structures this person is a validated member of."""
    where = (Membership.sub == sub, Membership.validated_at.is_not(None))
    total = s.scalar(select(func.count()).select_from(Membership).where(*where)) or 0
    rows = s.execute(select(Structure, Membership).join(
        Membership, Membership.structure_id == Structure.id).where(*where)
        .order_by(Structure.created_at, Structure.id).offset(offset).limit(size)).all()
    return total, [(row[0], row[1]) for row in rows]


def pending_requests_of(s: Session, sub: str) -> list[Structure]:
    return list(s.scalars(select(Structure).join(
        Membership, Membership.structure_id == Structure.id).where(
        Membership.sub == sub, Membership.validated_at.is_(None))).all())


def services_of(s: Session, structure_ids: Sequence[int]) -> dict[int, list[Service]]:
    found: dict[int, list[Service]] = {i: [] for i in structure_ids}
    for service in s.scalars(select(Service).where(Service.structure_id.in_(structure_ids))
                             .order_by(Service.code)).all():
        found[service.structure_id].append(service)
    return found


def members_of(s: Session, structure_id: int) -> list[tuple[Membership, Person]]:
    rows = s.execute(select(Membership, Person).join(Person, Person.sub == Membership.sub)
                     .where(Membership.structure_id == structure_id)
                     .order_by(Membership.created_at, Membership.id)).all()
    return [(row[0], row[1]) for row in rows]


def technical_users_of(s: Session, structure_id: int) -> list[TechnicalUser]:
    return list(s.scalars(select(TechnicalUser).where(
        TechnicalUser.structure_id == structure_id).order_by(TechnicalUser.created_at)).all())


def technical_users_expiring(s: Session, before: int) -> Sequence[TechnicalUser]:
    return s.scalars(select(TechnicalUser).where(TechnicalUser.secret_expires_at <= before)
                     ).all()


def principals_of(s: Session, structure_id: int) -> list[Person]:
    return list(s.scalars(select(Person).join(Membership, Membership.sub == Person.sub).where(
        Membership.structure_id == structure_id, Membership.role == "principal",
        Membership.validated_at.is_not(None))).all())


@dataclass(frozen=True)
class InvoiceQuery:
    structure_ids: frozenset[int]
    number: str | None = None
    statuses: tuple[str, ...] = ()
    status_from: int | None = None
    status_to: int | None = None
    deposited_from: int | None = None
    deposited_to: int | None = None
    invoice_date_from: str | None = None
    invoice_date_to: str | None = None
    ttc_min: int | None = None
    ttc_max: int | None = None
    order_number: str | None = None
    service_id: int | None = None
    downloaded: bool | None = None
    sort: str = "status_at"  # a column of Invoice
    descending: bool = False


def search_invoices(s: Session, q: InvoiceQuery, offset: int, size: int
                    ) -> tuple[int, list[Invoice]]:
    where: list[ColumnElement[bool]] = [Invoice.structure_id.in_(q.structure_ids)]
    checks: list[tuple[Any, Any]] = [
        (q.number, lambda v: Invoice.number == v),
        (q.statuses or None, lambda v: Invoice.status.in_(v)),
        (q.status_from, lambda v: Invoice.status_at >= v),
        (q.status_to, lambda v: Invoice.status_at <= v),
        (q.deposited_from, lambda v: Invoice.deposited_at >= v),
        (q.deposited_to, lambda v: Invoice.deposited_at <= v),
        (q.invoice_date_from, lambda v: Invoice.invoice_date >= v),
        (q.invoice_date_to, lambda v: Invoice.invoice_date <= v),
        (q.ttc_min, lambda v: Invoice.amount_ttc >= v),
        (q.ttc_max, lambda v: Invoice.amount_ttc <= v),
        (q.order_number, lambda v: Invoice.order_number == v),
        (q.service_id, lambda v: Invoice.service_id == v),
        (q.downloaded, lambda v: Invoice.downloaded.is_(v)),
    ]
    where += [condition(value) for value, condition in checks if value is not None]
    column = getattr(Invoice, q.sort)
    order = (column.desc(), Invoice.id.desc()) if q.descending else (column, Invoice.id)
    total = s.scalar(select(func.count()).select_from(Invoice).where(and_(*where))) or 0
    rows = s.scalars(select(Invoice).where(and_(*where)).order_by(*order)
                     .offset(offset).limit(size)).all()
    return total, list(rows)


def invoice_of(s: Session, structure_ids: frozenset[int], invoice_id: int) -> Invoice | None:
    invoice = s.get(Invoice, invoice_id)
    return invoice if invoice is not None and invoice.structure_id in structure_ids else None


def history_of(s: Session, invoice_id: int) -> list[StatusChange]:
    """Newest first (`consulter/historique`)."""
    return list(s.scalars(select(StatusChange).where(StatusChange.invoice_id == invoice_id)
                          .order_by(StatusChange.at.desc(), StatusChange.id.desc())).all())


def set_status(s: Session, invoice_id: int, expected: str, status: str, at: int,
               comment: str | None, mandate_number: str | None) -> int:
    """Change the status if it is still `expected` (concurrent changes: one wins): 1 or 0."""
    values: dict[str, Any] = {"status": status, "status_at": at, "status_comment": comment}
    if mandate_number is not None:
        values["mandate_number"] = mandate_number
    return rowcount(s.execute(update(Invoice).where(Invoice.id == invoice_id,
                                                    Invoice.status == expected).values(**values)))


def mark_downloaded(s: Session, invoice_ids: Sequence[int]) -> None:
    s.execute(update(Invoice).where(Invoice.id.in_(invoice_ids)).values(downloaded=True))


def waiting_mails(s: Session, limit: int) -> Sequence[Mail]:
    return s.scalars(select(Mail).where(Mail.attempts < 20).order_by(Mail.id).limit(limit)).all()


def claim_mail(s: Session, mail_id: int) -> int:
    """Take a queued e-mail (delete its row): 1 if this call took it."""
    return rowcount(s.execute(delete(Mail).where(Mail.id == mail_id)))


def count_invoices(s: Session, structure_id: int) -> int:
    return s.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.structure_id == structure_id)) or 0


def mark_notices(s: Session, client_id: str, before: str, after: str) -> int:
    """Record the expiry notices sent for a technical user's secret if nobody did: 1 or 0."""
    return rowcount(s.execute(update(TechnicalUser).where(
        TechnicalUser.client_id == client_id, TechnicalUser.notices_sent == before).values(
        notices_sent=after).execution_options(synchronize_session=False)))
