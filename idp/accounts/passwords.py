"""Password hashing with argon2id (RFC 9106), parameters from settings (OWASP minimum default)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from idp.settings import Settings
from sitekit.memory import IdleRelease


class Passwords:
    """argon2id with a bounded number of hashes at once: each takes `argon2_memory_kib` of
    memory, and more parallel hashes than cores add memory, not throughput.

    The hashes run in threads of their own (`argon2_threads`, by default one per core, shared
    out among `idp serve`'s workers): glibc keeps freed argon2 buffers in the malloc arenas
    of the threads that used them, so hashing in the request pool's threads, two at a time
    per worker, left a worker at ~200 MB after a login load; one hashing thread per worker
    of two on two cores keeps it under 150 MB (issue 16)."""

    def __init__(self, settings: Settings) -> None:
        self._threads = ThreadPoolExecutor(
            settings.argon2_threads or max(1, os.cpu_count() or 1), thread_name_prefix="argon2")
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        # The freed buffers go back to the system once hashing has been idle a second
        # (sitekit/memory.py): the runtime's `memory_release` loop calls `memory.tick`.
        self.memory = IdleRelease(idle=1.0)
        # Verified against when the username is unknown, so both cases cost the same time.
        self._decoy = self.hash("decoy password, never matches")

    def hash(self, password: str) -> str:
        self.memory.used()
        return self._threads.submit(self._hasher.hash, password).result()

    def verify(self, password_hash: str | None, password: str) -> bool:
        self.memory.used()
        try:
            matched = self._threads.submit(
                self._hasher.verify, password_hash or self._decoy, password).result()
            return matched and bool(password_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
