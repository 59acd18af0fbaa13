"""The browsers an account has logged in from (new-device e-mail, as FranceConnect sends):
only a hash of the device cookie, per account; times are epoch seconds (UTC)."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.storage.models.base import Base


class KnownDevice(Base):
    __tablename__ = "known_devices"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            primary_key=True)
    # SHA-256 of "<account id>:<cookie value>" (storage/repositories/devices.py): the cookie
    # is never stored, and one browser shared by two accounts gives two unrelated hashes.
    device_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_seen_at: Mapped[int]
    last_seen_at: Mapped[int]
