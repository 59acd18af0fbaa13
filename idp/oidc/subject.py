"""The `sub` an application sees (OIDC Core §8).

Public: the account's stable subject. Pairwise (§8.1): a different, unlinkable value per
sector, so two applications cannot correlate a citizen by `sub`. A pairwise `sub` is
computed once (`subject_for`, HMAC under the keys folder's pairwise salt) and stored in
table `subjects`; later answers read it back, so a new salt never changes the `sub` an
application knows (FranceConnect stores its subs likewise, FEDERATION.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from idp.storage.repositories import subjects as subjects_repo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sitekit.storage.database import Database


def subject_for(
    account_subject: str, subject_type: str, sector_identifier: str, pairwise_salt: bytes
) -> str:
    """The `sub` as computed for a first use (the stored one prevails afterwards)."""
    if subject_type != "pairwise":
        return account_subject
    digest = hmac.new(
        pairwise_salt, f"{sector_identifier}|{account_subject}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class PairwiseSubjects:
    """Stored pairwise subjects, with a bounded per-process cache of committed values.

    A stored `sub` never changes, so the cache needs no expiry. It is keyed by the account's
    public subject (random, never reassigned), not its row id, which SQLite may reuse after a
    deletion. Values stored in a caller's transaction are not cached: it may yet roll back.
    """

    def __init__(self, db: Database, salt: Callable[[], bytes], size: int = 10_000) -> None:
        self._db = db
        self._salt = salt
        self._size = size
        self._cache: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = threading.Lock()

    def subject_of(self, account: Any, subject_type: str, sector: str,
                   s: Session | None = None) -> str:
        """`account`'s `sub` for a client of `subject_type` in `sector`. Given `s` (the
        request's transaction), read and store there; otherwise one indexed read, and on
        a first use a short transaction of its own."""
        if subject_type != "pairwise":
            return str(account.subject)
        key = (account.subject, sector)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        if s is not None:  # what it reads may be its own uncommitted row: not cached
            stored = subjects_repo.stored_subject(s, account.id, sector)
            return stored or subjects_repo.keep_subject(s, account.id, sector,
                                                        self._first(account, sector))
        stored = subjects_repo.find_stored_subject(self._db, account.id, sector)
        if stored is None:
            with self._db.transaction() as own:
                stored = subjects_repo.keep_subject(own, account.id, sector,
                                                    self._first(account, sector))
        self._remember(key, stored)
        return stored

    def _first(self, account: Any, sector: str) -> str:
        return subject_for(account.subject, "pairwise", sector, self._salt())

    def _remember(self, key: tuple[str, str], sub: str) -> None:
        with self._lock:
            self._cache[key] = sub
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
