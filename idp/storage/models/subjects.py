"""Pairwise subject identifiers as first given out (OIDC Core §8.1).

A pairwise `sub` is computed once (HMAC of the sector and the account's subject under the
keys folder's pairwise salt) and stored: later answers read it back, so a new salt never
changes the `sub` an application already knows (FranceConnect stores its subs likewise).
"""

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from idp.storage.models.base import Base


class Subject(Base):
    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("sector", "sub"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            primary_key=True)
    # The client's sector_identifier (its host or its own client_id, idp/oidc/clients.py).
    sector: Mapped[str] = mapped_column(String(255), primary_key=True)
    sub: Mapped[str] = mapped_column(String(255))
