from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from idp.storage.models import Account


class DuplicateAccount(Exception):
    """An account with this username already exists."""


def add_account(s: Session, account: Account) -> Account:
    s.add(account)
    try:
        s.flush()
    except IntegrityError as exc:
        raise DuplicateAccount(account.username) from exc
    return account


def find_by_username(s: Session, username: str) -> Account | None:
    return s.scalar(select(Account).where(Account.username == username))


def find_by_subject(s: Session, subject: str) -> Account | None:
    return s.scalar(select(Account).where(Account.subject == subject))


def get_account(s: Session, account_id: int) -> Account | None:
    return s.get(Account, account_id)


def list_accounts(s: Session) -> list[Account]:
    return list(s.scalars(select(Account).order_by(Account.username)))


def disable_account(s: Session, username: str) -> bool:
    result = s.execute(update(Account).where(Account.username == username).values(disabled=True))
    return result.rowcount == 1  # type: ignore[attr-defined]


def record_login(s: Session, account_id: int, now: int) -> None:
    s.execute(update(Account).where(Account.id == account_id).values(last_login_at=now))


def silence_mobile_reminder(s: Session, account_id: int, until: int) -> None:
    s.execute(update(Account).where(Account.id == account_id)
              .values(mobile_reminder_silenced_until=until))


def set_phone_number(s: Session, account_id: int, phone: str) -> None:
    s.execute(update(Account).where(Account.id == account_id).values(phone_number=phone))


def set_email(s: Session, account_id: int, email: str) -> None:
    s.execute(update(Account).where(Account.id == account_id)
              .values(email=email, email_verified=True))


def set_password_hash(s: Session, account_id: int, password_hash: str) -> None:
    s.execute(update(Account).where(Account.id == account_id).values(password_hash=password_hash))
