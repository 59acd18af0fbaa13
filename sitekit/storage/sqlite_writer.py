"""The threads of one process take turns at SQLite's single writer.

SQLite lets one transaction write at a time; the others wait in its busy handler, which polls
by sleeping (1, 2, 5 ... then 100 ms at a time): a waiter wakes up to 100 ms after the lock
came free, and the waiters are served in no order. Under a login load that was ~30 % of the
request threads' time (py-spy, bench/README.md). Here the threads of this process queue on a
lock instead, each woken as soon as the writer before it ends; the busy handler is left with
the other processes' writers only.

The lock is taken when a write transaction really begins (its ``BEGIN IMMEDIATE``, the
engine's ``begin`` event), not on entering ``Database.transaction()``: work done inside that
block before its first statement (hashing a password) does not hold it. It is released when
the outermost ``transaction()`` of the thread ends, after its COMMIT or ROLLBACK.

A thread waits for it at most the statement timeout; past it, ``StorageUnavailable`` ("the
database is locked", as SQLite's own refusal). A transaction that then meets another process's
writer may wait that long once more in the busy handler.
"""

from __future__ import annotations

import threading

from sitekit.storage.errors import StorageUnavailable


class WriterTurns:
    def __init__(self, timeout: float) -> None:
        self._lock = threading.Lock()
        self._timeout = timeout
        self._local = threading.local()

    def enter(self) -> None:
        """A ``transaction()`` of this thread begins (it may be nested)."""
        self._local.depth = getattr(self._local, "depth", 0) + 1

    def before_begin(self) -> None:
        """A write transaction is about to ``BEGIN IMMEDIATE`` on this thread: wait for this
        process's turn, unless the thread holds it (a nested transaction) or writes outside
        ``transaction()`` (nothing would release it)."""
        if not getattr(self._local, "depth", 0) or getattr(self._local, "held", False):
            return
        if not self._lock.acquire(timeout=self._timeout):
            raise StorageUnavailable("database is locked")
        self._local.held = True

    def exit(self) -> None:
        """A ``transaction()`` of this thread ended (committed or rolled back): the outermost
        one gives the turn to the next thread."""
        self._local.depth -= 1
        if self._local.depth == 0 and getattr(self._local, "held", False):
            self._local.held = False
            self._lock.release()
