"""Addresses of deleted accounts cannot open a new account for a while (seed 004 §7: "Votre
adresse mail est conservée pendant un an"). They are kept as an HMAC-SHA256 under the keys
folder's `hash.key` (`KeyStore.keyed_hash`), of the address normalised as a login name, so the
table tells nobody which addresses had accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from idp.login_names import normalise
from idp.storage.repositories import blocked_addresses as blocked_repo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from idp.oidc.keys import KeyStore

PURPOSE = "blocked-address"


def address_hash(keys: KeyStore, email: str) -> str:
    return keys.keyed_hash(PURPOSE, normalise(email))


def block(s: Session, keys: KeyStore, email: str, until: int) -> None:
    blocked_repo.block_address(s, address_hash(keys, email), until)


def is_blocked(s: Session, keys: KeyStore, email: str, now: int) -> bool:
    return blocked_repo.is_blocked(s, address_hash(keys, email), now)


def blocked_until(s: Session, keys: KeyStore, email: str, now: int) -> int | None:
    """When the address may open an account again, if it is blocked now."""
    return blocked_repo.blocked_until(s, address_hash(keys, email), now)
