"""The coalescing transport under `idp serve` (sitekit/web/http_protocol.py, issue 16): the
writes of one event-loop step go out as one, in order; close sends, abort drops."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sitekit.web.http_protocol import CoalescingTransport


class Recorder:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 1) if name == "peername" else None


def run(steps: Any) -> Recorder:
    async def main() -> Recorder:
        real = Recorder()
        transport = CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]  # duck-typed
        await steps(transport, real)
        return real
    # A loop of its own in a thread of its own: a session-scoped browser (Playwright's sync
    # API) may hold a running loop in this worker's main thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def test_head_and_body_written_in_one_step_are_sent_once_in_order() -> None:
    async def steps(t: CoalescingTransport, real: Recorder) -> None:
        t.write(b"HTTP/1.1 200 OK\r\n\r\n")
        t.write(b"{}")
        assert real.writes == [] and t.get_write_buffer_size() == 21
        await asyncio.sleep(0)
        assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    run(steps)


def test_chunks_written_in_separate_steps_stay_separate() -> None:
    async def steps(t: CoalescingTransport, real: Recorder) -> None:
        t.write(b"a")
        await asyncio.sleep(0)
        t.write(b"b")
        await asyncio.sleep(0)
        assert real.writes == [b"a", b"b"]
    run(steps)


def test_close_sends_what_is_pending_and_abort_drops_it() -> None:
    async def closing(t: CoalescingTransport, real: Recorder) -> None:
        t.write(b"last")
        t.close()
        assert real.writes == [b"last"] and real.closed

    async def aborting(t: CoalescingTransport, real: Recorder) -> None:
        t.write(b"dropped")
        t.abort()
        await asyncio.sleep(0)
        assert real.writes == [] and real.aborted

    run(closing)
    run(aborting)


def test_other_calls_reach_the_real_transport() -> None:
    async def steps(t: CoalescingTransport, real: Recorder) -> None:
        assert t.get_extra_info("peername") == ("127.0.0.1", 1)
    run(steps)
