"""The single-use links the hub sends by e-mail (seed 004): confirm a registration, reset a
forgotten password, confirm an address given later (a citizen who arrived through an FI).

A link carries 256 random bits; only their SHA-256 is stored (storage/repositories/
email_links.py). Issuing and using a link happen inside the caller's transaction, so the
e-mail (the outbox row) and the link commit together; a link is used once, by one
conditional UPDATE, before its expiry.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from idp.storage.repositories import email_links as links_repo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from idp.storage.models import EmailLink

REGISTRATION = "registration"
PASSWORD_RESET = "password_reset"
ADDRESS_CONFIRMATION = "address_confirmation"
PURPOSES = (REGISTRATION, PASSWORD_RESET, ADDRESS_CONFIRMATION)


def issue(s: Session, purpose: str, account_id: int, email: str, now: int, ttl: int,
          data: dict[str, Any] | None = None) -> str:
    """A new link's token; the account's earlier unused links for `purpose` stop working."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown e-mail link purpose {purpose!r}")
    links_repo.withdraw_links(s, account_id, purpose, now)
    token = secrets.token_urlsafe(32)
    links_repo.create_link(s, token, purpose, account_id, email, data or {}, now, now + ttl)
    return token


def peek(s: Session, purpose: str, token: str, now: int) -> EmailLink | None:
    """The link, still usable, without using it (a page showing a form before its POST)."""
    return links_repo.find_link(s, token, purpose, now) if _plausible(token) else None


def use(s: Session, purpose: str, token: str, now: int) -> EmailLink | None:
    """The link, used now; None if unknown, expired, used or for another purpose."""
    return links_repo.use_link(s, token, purpose, now) if _plausible(token) else None


def url(issuer: str, path: str, token: str) -> str:
    """The address written in the e-mail: the hub's page with the token as `?jeton=`."""
    return f"{issuer}{path}?jeton={quote(token, safe='')}"


def _plausible(token: str) -> bool:
    # token_urlsafe(32) gives 43 characters; anything far from it is not ours.
    return 20 <= len(token) <= 64 and token.isascii() and token.replace("-", "").replace(
        "_", "").isalnum()
