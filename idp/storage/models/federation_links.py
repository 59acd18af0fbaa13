"""Which identity provider (FI) accounts a citizen logs in with. Times: epoch seconds (UTC).

One person, one account: a citizen known through two FIs has two links to one account
(matched on the pivot identity's hash, `accounts.identity_hash`). Links are kept as long as
the traces, 36 months after the last use (FEDERATION.md).
"""

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from idp.storage.models.base import Base


class FederationLink(Base):
    __tablename__ = "federation_links"
    __table_args__ = (UniqueConstraint("provider_id", "provider_sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64))  # the FI's id in the registry
    provider_sub: Mapped[str] = mapped_column(String(255))  # OIDC Core §2: at most 255 ASCII
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    first_used_at: Mapped[int]
    last_used_at: Mapped[int]
