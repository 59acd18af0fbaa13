"""APA's tables (its own database). Times are integer seconds since the epoch (UTC)."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from clients.rp.sessions import Base, RpSession


class Deposit(Base):
    """A call file as received ("Historique des dépôts")."""

    __tablename__ = "deposits"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # 32 hex digits
    siret: Mapped[str] = mapped_column(String(14), index=True)  # the depositor's
    external_name: Mapped[str] = mapped_column(String(64))
    internal_name: Mapped[str] = mapped_column(String(80))  # <external name>.<SIRET>
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    deposited_by: Mapped[str] = mapped_column(String(255))
    deposited_at: Mapped[int] = mapped_column(index=True)
    processed_at: Mapped[int | None] = mapped_column(index=True)


class ResponseFile(Base):
    """A response file offered for withdrawal ("Retrait fichiers réponse")."""

    __tablename__ = "response_files"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    deposit_id: Mapped[str] = mapped_column(ForeignKey("deposits.id", ondelete="SET NULL"),
                                            nullable=True)
    siret: Mapped[str] = mapped_column(String(14), index=True)
    name: Mapped[str] = mapped_column(String(80))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    available_at: Mapped[int]
    expires_at: Mapped[int] = mapped_column(index=True)
    first_download_at: Mapped[int | None]


class Download(Base):
    """One withdrawal of a response file ("Historique des retraits")."""

    __tablename__ = "downloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    siret: Mapped[str] = mapped_column(String(14), index=True)
    file_name: Mapped[str] = mapped_column(String(80))
    downloaded_by: Mapped[str] = mapped_column(String(255))
    downloaded_at: Mapped[int] = mapped_column(index=True)


class Deletion(Base):
    """What the purge deleted, and when (expired response files, old history entries)."""

    __tablename__ = "deletions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # response_file, deposit, download
    name: Mapped[str] = mapped_column(String(255))
    siret: Mapped[str] = mapped_column(String(14))
    deleted_at: Mapped[int]


__all__ = ["Base", "Deletion", "Deposit", "Download", "ResponseFile", "RpSession"]
