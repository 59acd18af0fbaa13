"""Accounts and the names they log in with (idp/login_names.py): every write of a username
or an e-mail address goes through here, which keeps the table ``login_names`` in step."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from idp import login_names
from idp.storage.models import Account, EmailLink, LoginName, LoginNameSettings
from sitekit.storage.database import execute_sql, rowcount

if TYPE_CHECKING:
    from sitekit.storage.database import Database

# A password hash no password matches (argon2 refuses it as malformed): accounts that log in
# only through an identity provider (idp/accounts/citizens.py).
UNUSABLE_PASSWORD_PREFIX = "!"


def logs_in_with_password(password_hash: str) -> bool:
    return not password_hash.startswith(UNUSABLE_PASSWORD_PREFIX)


def _email_login_name(account: Account) -> str | None:
    """An account without password does not log in by e-mail address, so its address is no
    login name: a family may share one address between several citizens (FEDERATION.md)."""
    return account.email if logs_in_with_password(account.password_hash) else None


class DuplicateAccount(Exception):
    """An account with this username already exists."""


class LoginNameTaken(Exception):
    """One of the account's login names is already another account's (seed 001)."""

    def __init__(self, name: str, kind: str | None = None, holder: str | None = None,
                 holder_kind: str | None = None) -> None:
        self.name, self.kind, self.holder, self.holder_kind = name, kind, holder, holder_kind
        labels = login_names.KIND_LABELS
        if kind is None or holder_kind is None:  # lost a race to a concurrent writer
            super().__init__(f"one of the login names {name} was just taken by another account")
        else:
            super().__init__(f"{name!r} ({labels[kind]}) is already the {labels[holder_kind]} "
                             f"of another account{f' ({holder!r})' if holder else ''}")


def add_account(s: Session, account: Account) -> Account:
    """Add the account and its login names; LoginNameTaken when one is another's."""
    s.add(account)
    try:
        s.flush()
    except IntegrityError as exc:
        raise DuplicateAccount(account.username) from exc
    _sync_login_names(s, account)
    return account


def find_by_login(s: Session, typed: str) -> Account | None:
    """The account a typed login name designates (identifier, whole e-mail address or agent
    left part, in any case): one query on the unique index, whatever the form typed. A name
    with a control character or an undecodable byte (a lone surrogate) is no account's, and
    is not sent to the database (PostgreSQL refuses NUL, the drivers lone surrogates)."""
    name = _searchable_name(typed)
    if name is None:
        return None
    return s.scalar(select(Account).join(LoginName, LoginName.account_id == Account.id)
                    .where(LoginName.name == name))


def _searchable_name(typed: str) -> str | None:
    name = login_names.normalise(typed)[:login_names.MAX_LENGTH]
    if any(c < " " or c == "\x7f" or "\ud800" <= c <= "\udfff" for c in name):
        return None
    return name


# Kept for callers that still use the old name: it resolves any login name.
find_by_username = find_by_login


# The account's columns, for a plain read that builds the object itself (account_from_row):
# on PostgreSQL the ORM's read of this row cost ~1.5 ms of CPU on a slow sitting, its
# transaction (BEGIN, COMMIT) included, the plain read ~0.3 ms (issue 16, bench/README.md).
_COLUMNS = tuple(Account.__table__.columns)
ACCOUNT_COLUMNS = ", ".join(f"accounts.{column.name}" for column in _COLUMNS)
_PROCESSORS: dict[str, list[Callable[[Any], Any] | None]] = {}


def account_from_row(values: Sequence[Any], dialect: Dialect) -> Account:
    """The account whose ``ACCOUNT_COLUMNS`` a plain read returned, as the ORM would have
    loaded it: each value through its column type's conversion for this driver (SQLite's
    booleans and JSON text), then detached, as an account read in a transaction now ended."""
    processors = _PROCESSORS.get(dialect.name)
    if processors is None:
        processors = _PROCESSORS[dialect.name] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in _COLUMNS]
    account = Account(**{column.key: value if convert is None else convert(value)
                         for column, convert, value in zip(_COLUMNS, processors, values,
                                                           strict=True)})
    make_transient_to_detached(account)
    return account


# Built from the model's column names only, never from a value.
_BY_ID = f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE accounts.id = ?"  # noqa: S608
ACCOUNT_BY_ID = {"sqlite": _BY_ID, "postgresql": _BY_ID.replace("?", "%s")}


def read_account(s: Session, account_id: int) -> Account | None:
    """The account, by one plain read in the transaction of `s`. The object is detached:
    for reading only (what changes in it is not saved by `s`)."""
    row = execute_sql(s, _BY_ID, (account_id,)).fetchone()
    return None if row is None else account_from_row(row, s.connection().dialect)


def fetch_account(db: Database, account_id: int) -> Account | None:
    """The account, by one plain read outside any transaction (``Database.fetch_one``); a
    detached object, for reading only."""
    row = db.fetch_one(ACCOUNT_BY_ID, (account_id,))
    return None if row is None else account_from_row(row, db.engine.dialect)


# Built from the model's column names only, never from a value.
# One row whether the name is an account's or not: NULLs for no account.
_LOGIN = (f"SELECT {ACCOUNT_COLUMNS}, EXISTS (SELECT 1 FROM authenticators "  # noqa: S608
          "WHERE authenticators.account_id = accounts.id) "
          "FROM (SELECT CAST(? AS VARCHAR(320)) AS name) AS typed "
          "LEFT JOIN login_names ON login_names.name = typed.name "
          "LEFT JOIN accounts ON accounts.id = login_names.account_id")
LOGIN_ACCOUNT = {"sqlite": _LOGIN, "postgresql": _LOGIN.replace("?", "%s")}


def login_account(db: Database, typed: str) -> tuple[Account | None, bool]:
    """(the account a typed login name designates, whether it has a second factor), as
    ``find_by_login`` finds it, by one plain read (issue 16); the account detached, for
    reading only. The same work whether the name is an account's or not (issue 10,
    finding 4): one query, one row, an object built from it (of NULLs, then dropped)."""
    name = _searchable_name(typed)
    row = db.fetch_one(LOGIN_ACCOUNT, ("" if name is None else name,))
    if row is None:  # the query always gives a row
        return None, False
    account = account_from_row(row[:-1], db.engine.dialect)
    if row[0] is None or name is None:
        return None, False
    return account, bool(row[-1])


def find_by_subject(s: Session, subject: str) -> Account | None:
    return s.scalar(select(Account).where(Account.subject == subject))


def get_account(s: Session, account_id: int) -> Account | None:
    return s.get(Account, account_id)


class AlertAddress(NamedTuple):
    """Where a new-device alert goes (None when the person turned the alerts off or has no
    verified address), and how many browsers the account knows."""
    email: str | None
    known_devices: int


def new_device_alert_address(s: Session, account_id: int) -> AlertAddress | None:
    """None for an account that is not there. One plain read, in the login's transaction
    (issue 16: the ORM's read of the whole row cost ~400 µs of CPU on PostgreSQL, and the
    count of its browsers is one round trip less here)."""
    row = execute_sql(s, "SELECT new_device_alerts, email, email_verified, (SELECT count(*) "
                         "FROM known_devices WHERE known_devices.account_id = accounts.id) "
                         "FROM accounts WHERE id = ?", (account_id,)).first()
    if row is None:
        return None
    alerts, email, verified, known = tuple(row)
    return AlertAddress(str(email) if alerts and email and verified else None, int(known or 0))


def list_accounts(s: Session) -> list[Account]:
    return list(s.scalars(select(Account).order_by(Account.username)))


def disable_account(s: Session, login: str) -> bool:
    account = find_by_login(s, login)
    if account is None:
        return False
    s.execute(update(Account).where(Account.id == account.id).values(disabled=True))
    return True


def set_disabled(s: Session, account_id: int, disabled: bool) -> None:
    s.execute(update(Account).where(Account.id == account_id).values(disabled=disabled))


def record_login(s: Session, account_id: int, now: int) -> None:
    # A login ends a warning of deletion for inactivity (décret 2009-730).
    execute_sql(s, "UPDATE accounts SET last_login_at = ?, inactivity_warned_at = NULL "
                "WHERE id = ?", (now, account_id))


def silence_mobile_reminder(s: Session, account_id: int, until: int) -> None:
    s.execute(update(Account).where(Account.id == account_id)
              .values(mobile_reminder_silenced_until=until))


def set_new_device_alerts(s: Session, account_id: int, on: bool) -> None:
    s.execute(update(Account).where(Account.id == account_id).values(new_device_alerts=on))


def set_phone_number(s: Session, account_id: int, phone: str) -> None:
    s.execute(update(Account).where(Account.id == account_id).values(phone_number=phone))


def set_email(s: Session, account_id: int, email: str | None) -> None:
    """LoginNameTaken when the address, or its agent left part, is another account's.
    None removes the address (and the login names it gave)."""
    account = s.get(Account, account_id)
    assert account is not None
    account.email, account.email_verified = email, email is not None
    _sync_login_names(s, account)


def set_username(s: Session, account_id: int, username: str) -> None:
    """LoginNameTaken when the identifier is another account's login name."""
    account = s.get(Account, account_id)
    assert account is not None
    account.username = username
    try:
        s.flush()
    except IntegrityError as exc:
        raise DuplicateAccount(username) from exc
    _sync_login_names(s, account)


def login_name_taken(s: Session, username: str, email: str | None,
                     account_id: int | None = None) -> LoginNameTaken | None:
    """The refusal an account with these names would meet (None: all free), without
    writing: for pages that check before sending a confirmation code."""
    return _first_taken(s, login_names.names_of(username, email, stored_agent_domains(s)),
                        account_id)


def _first_taken(s: Session, wanted: dict[str, str],
                 account_id: int | None) -> LoginNameTaken | None:
    taken = {row.name: row for row in s.scalars(select(LoginName).where(
        LoginName.name.in_(wanted), LoginName.account_id != account_id))}
    for name, kind in wanted.items():  # the first refusal in the order of KINDS
        if name in taken:
            holder = s.get(Account, taken[name].account_id)
            return LoginNameTaken(name, kind, holder.username if holder else None,
                                  taken[name].kind)
    return None


def _sync_login_names(s: Session, account: Account) -> None:
    """Make the account's rows of ``login_names`` its current names; refused (before any
    write) when one is another account's. The unique key settles concurrent writers."""
    wanted = login_names.names_of(account.username, _email_login_name(account),
                                  stored_agent_domains(s))
    taken = _first_taken(s, wanted, account.id)
    if taken is not None:
        raise taken
    rows = {row.name: row for row in
            s.scalars(select(LoginName).where(LoginName.account_id == account.id))}
    for name, row in rows.items():
        if wanted.get(name) != row.kind:
            s.delete(row)
    s.flush()
    for name, kind in wanted.items():
        if name not in rows or rows[name].kind != kind:
            s.add(LoginName(name=name, account_id=account.id, kind=kind))
    try:
        s.flush()
    except IntegrityError as exc:
        raise LoginNameTaken(", ".join(map(repr, wanted))) from exc


def stored_agent_domains(s: Session) -> frozenset[str]:
    """The agent domains the stored login names were computed with."""
    row = s.get(LoginNameSettings, 1)
    return login_names.parse_domains(row.agent_email_domains if row else "")


def reconcile_login_names(s: Session, domains: frozenset[str],
                          write: bool = True) -> login_names.Plan:
    """Recompute every account's login names under `domains` (idp/login_names.py `plan`):
    names no longer right go, free names are added, names another account holds are
    returned as clashes. With `write`, applied and `domains` recorded; one writer at a time
    (the settings row is locked)."""
    row = s.get(LoginNameSettings, 1, with_for_update=write)
    if row is None and write:
        row = LoginNameSettings(id=1, agent_email_domains="")
        s.add(row)
        s.flush()
    accounts = [(r.id, r.username, r.email if logs_in_with_password(r.password_hash) else None)
                for r in s.execute(select(Account.id, Account.username, Account.email,
                                          Account.password_hash))]
    existing = {r.name: (r.account_id, r.kind) for r in s.scalars(select(LoginName))}
    result = login_names.plan(accounts, existing, domains)
    if write:
        if result.delete:
            s.execute(delete(LoginName).where(LoginName.name.in_(result.delete)))
        s.add_all(LoginName(name=name, account_id=account_id, kind=kind)
                  for name, account_id, kind in result.insert)
        assert row is not None
        row.agent_email_domains = login_names.serialise_domains(domains)
        s.flush()
    return result


def refresh_login_names(s: Session, account_id: int) -> None:
    """Recompute the account's login names after a change they depend on (a first usable
    password makes its e-mail address one); LoginNameTaken when one is another's."""
    account = s.get(Account, account_id)
    assert account is not None
    s.refresh(account)
    _sync_login_names(s, account)


def set_password_hash(s: Session, account_id: int, password_hash: str) -> None:
    s.execute(update(Account).where(Account.id == account_id).values(password_hash=password_hash))


# The pivot identity (idp/federation/pivot.py) -------------------------------------------------

PIVOT_COLUMNS = ("given_name", "family_name", "usage_name", "birthdate", "gender", "birthplace",
                 "birthcountry", "identity_hash")


class IdentityTaken(Exception):
    """Another account already has this pivot identity (unique identity_hash)."""


def find_by_identity_hash(s: Session, identity_hash: str) -> Account | None:
    return s.scalar(select(Account).where(Account.identity_hash == identity_hash))


def add_citizen(s: Session, account: Account) -> Account:
    """Add an account with a pivot identity; IdentityTaken when another has it (a concurrent
    first login of the same person: the caller retries its transaction)."""
    s.add(account)
    try:
        s.flush()
    except IntegrityError as exc:
        raise IdentityTaken() from exc
    _sync_login_names(s, account)
    return account


def set_pivot_identity(s: Session, account_id: int, values: dict[str, str | None]) -> None:
    """Set the account's pivot columns (PIVOT_COLUMNS); IdentityTaken when another account
    has this identity."""
    unknown = set(values) - set(PIVOT_COLUMNS)
    if unknown:
        raise ValueError(f"not pivot columns: {sorted(unknown)}")
    try:
        with s.begin_nested():
            s.execute(update(Account).where(Account.id == account_id).values(**values))
    except IntegrityError as exc:
        raise IdentityTaken() from exc


# Registrations awaiting their e-mail confirmation (idp/accounts/registration.py) -------------

def renew_pending(s: Session, account_id: int, password_hash: str, now: int) -> None:
    """A registration typed again for an address still pending: the newest password wins (an
    earlier registration by someone else must not leave its password on the account)."""
    s.execute(update(Account).where(Account.id == account_id, Account.pending_until.is_not(None))
              .values(password_hash=password_hash, password_changed_at=now))


def confirm_pending(s: Session, account_id: int, now: int) -> bool:
    """The pending account made usable, its address verified; False when it no longer waits
    (confirmed already, or past its deadline)."""
    return bool(rowcount(s.execute(
        update(Account)
        .where(Account.id == account_id, Account.pending_until.is_not(None),
               Account.pending_until > now)
        .values(pending_until=None, email_verified=True))))


def purge_expired_pending(s: Session, now: int) -> int:
    """Registrations never confirmed before their deadline (seed 004 §1: "vous devrez
    reprendre la procédure"): deleted with their login names and links (ON DELETE CASCADE)."""
    ids = list(s.scalars(select(Account.id).where(Account.pending_until.is_not(None),
                                                  Account.pending_until <= now)))
    if not ids:
        return 0
    s.execute(delete(LoginName).where(LoginName.account_id.in_(ids)))
    s.execute(delete(EmailLink).where(EmailLink.account_id.in_(ids)))
    return rowcount(s.execute(delete(Account).where(Account.id.in_(ids))))


def usernames(s: Session, account_ids: Iterable[int]) -> dict[int, str]:
    """The username of each existing account among `account_ids`."""
    wanted = sorted(set(account_ids))
    if not wanted:
        return {}
    return {account_id: username for account_id, username in s.execute(
        select(Account.id, Account.username).where(Account.id.in_(wanted)))}
