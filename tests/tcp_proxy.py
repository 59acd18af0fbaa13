"""A TCP proxy a test puts between the hub and its database, to cut or stall the database.

- ``cut()``: every open connection is closed and new ones are closed at once (a crashed or
  unreachable server).
- ``stall()``: connections stay open but nothing is forwarded any more, and new ones are
  accepted and never answered (a frozen server, a black-holed network).
- ``restore()``: forwarding resumes; connections accepted during the stall are closed.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._mode = "forward"
        self._flowing = threading.Event()
        self._flowing.set()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._unanswered: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="tcp-proxy").start()

    # Switches ---------------------------------------------------------------------------------

    def cut(self) -> None:
        with self._lock:
            self._mode = "cut"
            for sock in self._open:
                _shut(sock)
        self._flowing.set()

    def stall(self) -> None:
        with self._lock:
            self._mode = "stall"
            self._flowing.clear()

    def restore(self) -> None:
        with self._lock:
            self._mode = "forward"
            for sock in self._unanswered:
                _shut(sock)
            self._unanswered.clear()
        self._flowing.set()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._listener.close()

    # Plumbing ---------------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                mode = self._mode
                if mode == "stall":
                    self._unanswered.append(client)
                    continue
            if mode == "cut":
                _shut(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _shut(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                self._flowing.wait()  # stalled: hold the bytes, forward nothing
                if self._mode == "cut":
                    break
                sink.sendall(data)
        except OSError:
            pass  # the other side closed: close this pair below
        finally:
            with self._lock:
                self._open.difference_update((source, sink))
            _shut(source)
            _shut(sink)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
