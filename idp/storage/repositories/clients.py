from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from idp.storage.models import Client, ClientsVersion
from sitekit.storage.database import rowcount

VERSION_ROW = 1


class DuplicateClient(Exception):
    """A client with this client_id already exists."""


def add_client(s: Session, client: Client) -> Client:
    s.add(client)
    try:
        s.flush()
    except IntegrityError as exc:
        raise DuplicateClient(client.client_id) from exc
    bump_version(s)
    return client


def get_client(s: Session, client_id: str) -> Client | None:
    if not _possible_id(client_id):
        return None
    return s.get(Client, client_id)


def _possible_id(client_id: str) -> bool:
    """Whether a client id could be stored: a control character (PostgreSQL refuses NUL) or
    a lone surrogate (undecodable bytes) is no client's, and is not sent to the database."""
    return len(client_id) <= 255 and not any(
        c < " " or c == "\x7f" or "\ud800" <= c <= "\udfff" for c in client_id)


def list_clients(s: Session) -> list[Client]:
    return list(s.scalars(select(Client).order_by(Client.client_id)))


def remove_client(s: Session, client_id: str) -> bool:
    if not _possible_id(client_id):
        return False
    result = s.execute(delete(Client).where(Client.client_id == client_id))
    removed = rowcount(result) == 1
    if removed:
        bump_version(s)
    return removed


# Every change of a client bumps the version in its transaction: each process, which checks it
# at most once a second (oidc/clients.py ClientCache), then drops its cached clients.


def clients_version(s: Session) -> int:
    return s.scalar(select(ClientsVersion.version).where(ClientsVersion.id == VERSION_ROW)) or 0


def bump_version(s: Session) -> None:
    updated = s.execute(update(ClientsVersion).where(ClientsVersion.id == VERSION_ROW)
                        .values(version=ClientsVersion.version + 1))
    if not rowcount(updated):
        # The row comes with migration 0020; a database emptied by hand lacks it.
        s.add(ClientsVersion(id=VERSION_ROW, version=1))
        s.flush()


def clients_by_id(s: Session, client_ids: Iterable[str]) -> dict[str, Client]:
    """The registered clients among `client_ids` (a removed one is absent)."""
    wanted = sorted(set(client_ids))
    if not wanted:
        return {}
    return {c.client_id: c for c in s.scalars(select(Client).where(
        Client.client_id.in_(wanted)))}
