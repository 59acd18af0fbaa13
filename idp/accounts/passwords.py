"""Password hashing with argon2id (RFC 9106), parameters from settings (OWASP minimum default)."""

from __future__ import annotations

import os
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from idp.settings import Settings


class Passwords:
    """argon2id with a bounded number of hashes at once: each takes `argon2_memory_kib` of
    memory, and more parallel hashes than cores add memory, not throughput."""

    def __init__(self, settings: Settings) -> None:
        self._slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        # Verified against when the username is unknown, so both cases cost the same time.
        self._decoy = self._hasher.hash("decoy password, never matches")

    def hash(self, password: str) -> str:
        with self._slots:
            return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            with self._slots:
                matched = self._hasher.verify(password_hash or self._decoy, password)
            return matched and bool(password_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
