from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from idp.storage.models import Client
from sitekit.storage.database import rowcount


class DuplicateClient(Exception):
    """A client with this client_id already exists."""


def add_client(s: Session, client: Client) -> Client:
    s.add(client)
    try:
        s.flush()
    except IntegrityError as exc:
        raise DuplicateClient(client.client_id) from exc
    return client


def get_client(s: Session, client_id: str) -> Client | None:
    return s.get(Client, client_id)


def list_clients(s: Session) -> list[Client]:
    return list(s.scalars(select(Client).order_by(Client.client_id)))


def remove_client(s: Session, client_id: str) -> bool:
    result = s.execute(delete(Client).where(Client.client_id == client_id))
    return rowcount(result) == 1


def clients_by_id(s: Session, client_ids: Iterable[str]) -> dict[str, Client]:
    """The registered clients among `client_ids` (a removed one is absent)."""
    wanted = sorted(set(client_ids))
    if not wanted:
        return {}
    return {c.client_id: c for c in s.scalars(select(Client).where(
        Client.client_id.in_(wanted)))}
