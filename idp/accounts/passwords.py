"""Password hashing with argon2id (RFC 9106), parameters from settings (OWASP minimum default).

The hashes are computed by libsodium (PyNaCl, pyca's binding) and the parameters read by
argon2-cffi: the same algorithm, cost and PHC string (``$argon2id$v=19$m=…,t=…,p=…$salt$hash``,
16-byte salt, 32-byte hash) either way, each verifies the other's (tests). libsodium picks its
AVX2/AVX-512 code at run time, argon2-cffi's wheel runs the portable one: 8.8 against 16.5 ms
a verification here at the OWASP cost (issue 16, bench/README.md). libsodium computes one lane
only: with ``argon2_parallelism`` > 1, argon2-cffi hashes (and libsodium still verifies,
lane after lane).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from nacl.exceptions import CryptoError
from nacl.pwhash import argon2id

from idp.settings import Settings
from sitekit.memory import IdleRelease


class Passwords:
    """argon2id with a bounded number of hashes at once: each takes `argon2_memory_kib` of
    memory, and more parallel hashes than cores add memory, not throughput.

    The hashes run in threads of their own (`argon2_threads`, by default one per core, shared
    out among `idp serve`'s workers): glibc keeps freed argon2 buffers in the malloc arenas
    of the threads that used them, so hashing in the request pool's threads, two at a time
    per worker, left a worker at ~200 MB after a login load; one hashing thread per worker
    of two on two cores keeps it under 150 MB (issue 16). That is argon2-cffi's case (more
    than one lane): libsodium maps each hash's memory itself and unmaps it at the end, so
    nothing of it stays, and the kernel zeroes it afresh each time (~3.3 of the ~11 ms of a
    verification here, bench/argon2_bound.py)."""

    def __init__(self, settings: Settings) -> None:
        self._threads = ThreadPoolExecutor(
            settings.argon2_threads or max(1, os.cpu_count() or 1), thread_name_prefix="argon2")
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self._one_lane = settings.argon2_parallelism == 1
        self._opslimit = settings.argon2_time_cost
        self._memlimit = settings.argon2_memory_kib * 1024
        # The freed buffers go back to the system once hashing has been idle a second
        # (sitekit/memory.py): the runtime's `memory_release` loop calls `memory.tick`.
        self.memory = IdleRelease(idle=1.0)
        # Verified against when the username is unknown, so both cases cost the same time.
        self._decoy = self.hash("decoy password, never matches")

    def hash(self, password: str) -> str:
        self.memory.used()
        return self._threads.submit(self._hash, password).result()

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches; a missing hash costs the same work (the decoy's)."""
        self.memory.used()
        matched = self._threads.submit(
            _verify, password_hash or self._decoy, password).result()
        return matched and bool(password_hash)

    def _hash(self, password: str) -> str:
        if not self._one_lane:
            return self._hasher.hash(password)
        encoded: bytes = argon2id.str(password.encode(),  # UTF-8, strict: as argon2-cffi
                                      opslimit=self._opslimit, memlimit=self._memlimit)
        return encoded.decode("ascii")

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


def _verify(password_hash: str, password: str) -> bool:
    """libsodium's verification, in constant time (sodium_memcmp); a malformed or foreign
    hash string never matches."""
    try:
        return bool(argon2id.verify(password_hash.encode("ascii"),
                                    password.encode()))
    except (CryptoError, UnicodeEncodeError, ValueError):
        return False
