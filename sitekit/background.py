"""A daemon thread that calls a function every `interval` seconds until stopped, or sooner
when woken."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sitekit.storage.errors import StorageUnavailable

log = logging.getLogger("idp")


class Every:
    def __init__(self, interval: float, action: Callable[[], object], name: str) -> None:
        self.interval = interval
        self.action = action
        self.name = name
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None and self.interval > 0:
            self._stop.clear()
            self._wake.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Run the action now rather than at the end of the interval (at once if it is
        running: it runs again when it ends)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.action()
            except StorageUnavailable as exc:
                # Expected while the database is out; it comes back by itself: one line,
                # no trace, so an outage does not flood the log.
                log.warning("background task %s: database unavailable (%s)", self.name, exc)
            except Exception:
                log.exception("background task %s failed", self.name)
