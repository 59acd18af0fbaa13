from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.storage.models.base import Base


class PasswordHistory(Base):
    """Former password hashes of an account, so the last ones are not reused."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[int]


class RecoveryChallenge(Base):
    """A forgotten-password code sent by SMS (seed 000): keyed-hashed, short-lived, few
    attempts. An identifier without a usable account (or past the send limits) gets a decoy
    challenge with no account, written the same way, so both cost the same work."""

    __tablename__ = "recovery_challenges"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[int] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    sends: Mapped[int] = mapped_column(default=1)
    consumed_at: Mapped[int | None]
