"""uvicorn's httptools protocol with the writes of one event-loop step sent as one (issue 16).

uvicorn writes an answer's status line and headers, then its body, each with its own
``transport.write``: two system calls per answer, about a third of a worker's time under
token load. Here the connection's transport is wrapped so that what is written during one
step of the event loop is joined and handed to the real transport once, at the end of that
step (``loop.call_soon``): an ASGI app sending ``http.response.start`` then
``http.response.body`` without waiting in between (every answer of ours) costs one system
call. Nothing else changes: the bytes and their order are the same, a streamed answer is
still sent chunk by chunk (each ``await`` between chunks ends a step), closing or aborting
sends or drops what is pending first, and flow control sees the real transport.

Used by ``idp serve`` (``http=`` of uvicorn's configuration takes a protocol class).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport whose writes wait for the end of the event loop's current step."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:  # everything else is the real transport's
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn's signature
        super().connection_made(
            CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]  # duck-typed
