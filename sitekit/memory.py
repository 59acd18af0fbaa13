"""Give the memory freed by the process back to the system (glibc's ``malloc_trim``).

glibc keeps freed blocks in its arenas for the next allocation. A freed argon2id buffer (19 MiB
at the OWASP cost) stays in the arena of the thread that hashed: fast for the next hash (no
page faults), but resident for as long as the process lives, login load or not: ~38 MB of a
worker's ~155 MB after a login load (issue 16, bench/README.md). ``malloc_trim(0)`` returns
the free pages of every arena to the system (``madvise(MADV_DONTNEED)``); called when hashing
has been idle a while (``IdleRelease``), the pages come back on the next hash only.
(libsodium, which the hub hashes with when argon2id has one lane, maps and unmaps its
buffer itself: there is then little for this to give back.)

Elsewhere than glibc (musl, macOS) there is no such function: nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from collections.abc import Callable

_trim: Callable[[int], int] | None = None
try:  # ctypes.CDLL releases the GIL during the call: other threads run meanwhile.
    _trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    _trim.argtypes, _trim.restype = [ctypes.c_size_t], ctypes.c_int
except (OSError, AttributeError):
    _trim = None


def release_freed_memory() -> bool:
    """Return free heap pages to the system; False where the C library cannot."""
    if _trim is None:
        return False
    _trim(0)
    return True


class IdleRelease:
    """Releases freed memory once the work that allocated it has been quiet `idle` seconds.

    ``used()`` is called by that work (each hash); ``tick()`` regularly (a background loop).
    Under a steady load nothing is released (the pages would be faulted back in at once);
    a second or so after the load ends, they are."""

    def __init__(self, idle: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 release: Callable[[], bool] = release_freed_memory) -> None:
        self._idle = idle
        self._clock = clock
        self._release = release
        self._last_use = 0.0
        self._pending = False
        self._lock = threading.Lock()

    def used(self) -> None:
        with self._lock:
            self._last_use = self._clock()
            self._pending = True

    def tick(self) -> bool:
        """Release if there was use since the last release and none for `idle` seconds."""
        with self._lock:
            if not self._pending or self._clock() - self._last_use < self._idle:
                return False
            self._pending = False
        return self._release()
