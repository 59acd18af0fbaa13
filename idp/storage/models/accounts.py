"""People who log in at the hub. Times are integer seconds since the epoch (UTC)."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.storage.models.base import Base


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable public identifier, used as the public `sub` (OIDC Core §2); never reassigned.
    subject: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Population decides password rules and subject type: portal, citizen, technical.
    population: Mapped[str] = mapped_column(String(20), default="portal")
    email: Mapped[str | None] = mapped_column(String(320))
    email_verified: Mapped[bool] = mapped_column(default=False)
    # 256: the pivot identity's names have up to 256 characters (idp/federation/pivot.py).
    given_name: Mapped[str | None] = mapped_column(String(256))
    family_name: Mapped[str | None] = mapped_column(String(256))
    phone_number: Mapped[str | None] = mapped_column(String(32))
    siret: Mapped[str | None] = mapped_column(String(14))
    groups: Mapped[list[str]] = mapped_column(default=list)
    # Postal address, the components of the `address` claim (OIDC Core §5.1.1).
    street_address: Mapped[str | None] = mapped_column(String(255))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    locality: Mapped[str | None] = mapped_column(String(128))
    region: Mapped[str | None] = mapped_column(String(128))
    country: Mapped[str | None] = mapped_column(String(64))
    # The pivot identity (idp/federation/pivot.py), None for accounts without one:
    # usage name, birth date YYYY-MM-DD, "male"/"female", INSEE COG commune and country.
    usage_name: Mapped[str | None] = mapped_column(String(256))
    birthdate: Mapped[str | None] = mapped_column(String(10))
    gender: Mapped[str | None] = mapped_column(String(6))
    birthplace: Mapped[str | None] = mapped_column(String(5))
    birthcountry: Mapped[str | None] = mapped_column(String(5))
    # SHA-256 of the normalised pivot (pivot.identity_hash): one person, one account.
    identity_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[int]
    last_login_at: Mapped[int | None]
    # When the current password was set; its expiry follows the population's policy.
    password_changed_at: Mapped[int | None]
    # "Ne plus afficher ce rappel": no invitation to add a mobile number before this time.
    mobile_reminder_silenced_until: Mapped[int | None]
    # A registration awaiting its e-mail confirmation (seed 004 §1): the account cannot log
    # in, and is deleted at this time if still unconfirmed. None: a usable account.
    pending_until: Mapped[int | None] = mapped_column(index=True)
    # Registration choices with their date (seed 004 §1): the terms accepted, the weekly
    # newsletter and the personalised alerts (None: not chosen).
    terms_accepted_at: Mapped[int | None]
    newsletter_since: Mapped[int | None]
    alerts_since: Mapped[int | None]
    # An e-mail after a login from a device not seen before (FranceConnect does it).
    new_device_alerts: Mapped[bool] = mapped_column(default=True)
    # When the warning before deletion for inactivity was sent (décret 2009-730).
    inactivity_warned_at: Mapped[int | None]


class LoginThrottle(Base):
    """Failed logins counted per key ("account:<username>" or "address:<ip>") in a window."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[int]
    locked_until: Mapped[int | None]


class LoginName(Base):
    """Every name an account logs in with, normalised (idp/login_names.py): its identifier,
    its e-mail address, the left part of an agent address. The primary key is the unique
    index that stops two accounts from sharing one (seed 001)."""

    __tablename__ = "login_names"

    name: Mapped[str] = mapped_column(String(320), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    kind: Mapped[str] = mapped_column(String(20))  # identifier, email, agent


class LoginNameSettings(Base):
    """One row: the agent e-mail domains the login names were computed with. A hub that
    starts with another IDP_AGENT_EMAIL_DOMAINS recomputes the agent left parts first."""

    __tablename__ = "login_name_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_email_domains: Mapped[str] = mapped_column(String(2000), default="")
