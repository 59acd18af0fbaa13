"""The periodic thread of sitekit/background.py: its interval, and `wake()` (issue 16: the
audit writer is woken by the number of events waiting)."""

from __future__ import annotations

import threading
import time

from sitekit.background import Every


def test_wake_runs_the_action_before_the_interval_and_stop_ends_at_once() -> None:
    ran = threading.Event()
    calls: list[float] = []

    def action() -> None:
        calls.append(time.monotonic())
        ran.set()

    every = Every(3600.0, action, "test-wake")
    every.start()
    try:
        time.sleep(0.2)
        assert calls == []  # nothing before the interval…
        every.wake()
        assert ran.wait(5)  # …unless woken
        time.sleep(0.2)
        assert len(calls) == 1  # once per wake
    finally:
        started = time.monotonic()
        every.stop()
    assert time.monotonic() - started < 1
    time.sleep(0.1)
    assert len(calls) == 1  # stopping is not a wake


def test_the_interval_still_runs_the_action_and_a_restart_does_not_run_it_early() -> None:
    calls: list[int] = []
    every = Every(0.05, lambda: calls.append(1), "test-interval")
    every.start()
    time.sleep(0.5)
    every.stop()
    assert len(calls) >= 3
    slow = Every(3600.0, lambda: calls.append(2), "test-restart")
    slow.start()
    slow.stop()  # leaves its wake event set…
    slow.start()  # …which the new run clears
    time.sleep(0.2)
    slow.stop()
    assert 2 not in calls
