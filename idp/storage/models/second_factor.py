"""Second factor of an account: an authenticator app (TOTP, RFC 6238) and its recovery codes."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.storage.models.base import Base


class Authenticator(Base):
    __tablename__ = "authenticators"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    # The TOTP seed encrypted with the keys folder's secret box (Fernet), never in clear.
    secret: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[int]
    # Time step of the last accepted code: a code is accepted once (RFC 6238 §5.2).
    last_step: Mapped[int | None]


class RecoveryCode(Base):
    """Single-use codes printed at enrolment, for a lost phone (SHA-256: 80 random bits)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[int | None]
