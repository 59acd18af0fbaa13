"""What the citizens' side keeps besides the account (seed 004). Times: epoch seconds (UTC).

- `email_links`: the single-use links sent by e-mail (confirm a registration, reset a
  password, confirm an address given later); only their SHA-256 is stored.
- `blocked_addresses`: addresses of deleted accounts, refused for new accounts for a year
  (seed 004 §7), kept as a keyed hash (`KeyStore.keyed_hash`), never in clear.
"""

from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.storage.models.base import Base


class EmailLink(Base):
    __tablename__ = "email_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # What the link does: idp/accounts/email_links.py PURPOSES.
    purpose: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    # The address the link was sent to (the one it confirms, for a confirmation).
    email: Mapped[str] = mapped_column(String(320))
    # What the page reached by the link needs to go on (e.g. the authorization request to
    # resume after a registration); never a secret.
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[int]
    expires_at: Mapped[int] = mapped_column(index=True)
    used_at: Mapped[int | None]


class BlockedAddress(Base):
    __tablename__ = "blocked_addresses"

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    blocked_until: Mapped[int] = mapped_column(index=True)


class UsedChallenge(Base):
    """Human-check challenges already spent (ALTCHA, idp/accounts/human_check.py): each is
    accepted once, and its row is kept until the challenge expires, then purged."""

    __tablename__ = "used_challenges"

    # HMAC signature of the challenge (hex): unique to it, no secret.
    signature: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[int] = mapped_column(index=True)
