"""Chorus's tables (its own database). Times are integer seconds since the epoch (UTC)."""

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clients.rp.sessions import Base, RpSession


class Person(Base):
    """Someone who logged in through the hub at least once (known by the hub's `sub`)."""

    __tablename__ = "people"

    sub: Mapped[str] = mapped_column(String(255), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255))
    session_hash: Mapped[str | None] = mapped_column(String(64))  # the session last seen
    last_login_at: Mapped[int | None]  # of that session
    previous_login_at: Mapped[int | None]  # "Dernière connexion le …"


class Structure(Base):
    __tablename__ = "structures"
    __table_args__ = (UniqueConstraint("identifier_type", "identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)  # idStructureCPP
    identifier_type: Mapped[str] = mapped_column(String(16))  # typeIdentifiantStructure
    identifier: Mapped[str] = mapped_column(String(32))  # identifiantStructure
    name: Mapped[str] = mapped_column(String(100))  # raisonSocialeStructure
    status: Mapped[str] = mapped_column(String(8))  # ACTIF, INACTIF
    created_at: Mapped[int]


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("structure_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"),
                                              index=True)
    code: Mapped[str] = mapped_column(String(32))  # codeService
    label: Mapped[str] = mapped_column(String(100))  # libelleService
    active: Mapped[bool]


class Membership(Base):
    """A person's link to a structure: role `principal` (gestionnaire principal) or
    `utilisateur` with rights `consultation` or `modification`; `validated_at` None while
    the request waits for the main manager."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("structure_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"),
                                              index=True)
    sub: Mapped[str] = mapped_column(ForeignKey("people.sub", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    rights: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[int]
    validated_at: Mapped[int | None]


class TechnicalUser(Base):
    """A client registered at the hub for a structure; its secret is never stored here."""

    __tablename__ = "technical_users"

    client_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"),
                                              index=True)
    login: Mapped[str] = mapped_column(String(255))  # client_name, TECH_1_…@cpro.fr
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[int]
    secret_expires_at: Mapped[int] = mapped_column(index=True)  # dateExpirationMotPasseCompteTech
    renewed_at: Mapped[int | None]
    # The expiry notice thresholds (days) already e-mailed for the current secret: "30,7".
    notices_sent: Mapped[str] = mapped_column(String(64), default="")


class Invoice(Base):
    """A received invoice (recipient side of Chorus Pro's `rechercher/recipiendaire`)."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)  # idFacture
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"),
                                              index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id",
                                                              ondelete="SET NULL"))
    number: Mapped[str] = mapped_column(String(40))  # numeroFacture
    supplier_code: Mapped[str] = mapped_column(String(32))  # codeFournisseur
    supplier_name: Mapped[str] = mapped_column(String(100))  # designationFournisseur
    invoice_date: Mapped[str] = mapped_column(String(10))  # dateFacture YYYY-MM-DD
    deposited_at: Mapped[int]  # dateDepot
    status: Mapped[str] = mapped_column(String(32), index=True)  # statut
    status_at: Mapped[int] = mapped_column(index=True)  # dateHeureEtatCourant
    status_comment: Mapped[str | None] = mapped_column(String(255))
    mandate_number: Mapped[str | None] = mapped_column(String(50))
    currency: Mapped[str] = mapped_column(String(3))
    amount_ht: Mapped[int]  # montantHT, in cents
    amount_ttc: Mapped[int] = mapped_column(index=True)  # montantTTC, in cents
    order_number: Mapped[str | None] = mapped_column(String(40))  # numeroBonCommande
    kind: Mapped[str] = mapped_column(String(16))  # typeFacture: FACTURE, AVOIR
    downloaded: Mapped[bool]  # factureTelechargeeParDestinataire


class StatusChange(Base):
    """One entry of an invoice's history (`consulter/historique`)."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"),
                                            index=True)
    status: Mapped[str] = mapped_column(String(32))
    at: Mapped[int]
    comment: Mapped[str | None] = mapped_column(String(255))
    by_name: Mapped[str] = mapped_column(String(255))


class Mail(Base):
    """An e-mail waiting to be sent (written in the transaction of what it announces)."""

    __tablename__ = "mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int]
    attempts: Mapped[int] = mapped_column(default=0)


__all__ = ["Base", "Invoice", "Mail", "Membership", "Person", "RpSession", "Service",
           "StatusChange", "Structure", "TechnicalUser"]
