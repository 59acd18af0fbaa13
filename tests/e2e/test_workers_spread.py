"""`idp serve --workers 2` spreads keep-alive connections over its workers (issue 16): with
one shared listening socket, a burst of connections all landed on the first worker awake.

Which worker holds a connection is read from the kernel, not from the hub: the server end of
each client connection (/proc/net/tcp, by ports) is a socket inode, found among one worker's
open files (/proc/<pid>/fd)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers import free_port, wait_until_up

pytestmark = pytest.mark.e2e

CONNECTIONS = 16  # all on one of two workers by chance: 2 / 2**16


def socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def sockets_on(port: int, state: str) -> list[tuple[int, int]]:
    """(remote port, inode) of the sockets on local `port` in `state` (/proc/net/tcp: 01
    established, 0A listening)."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if local_port == port and fields[3] == state:
            found.append((remote_port, int(fields[9])))
    return found


def listening_workers(parent: int, port: int) -> list[int]:
    """The worker processes with a listening socket of their own on `port`."""
    listening = {inode for _, inode in sockets_on(port, "0A")}
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in children if socket_inodes(int(pid)) & listening]


def get(conn: socket.socket, path: str) -> bytes:
    """One request on a keep-alive connection; the status line (the body read and dropped)."""
    conn.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += conn.recv(65536)
    head, body = answer.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += conn.recv(65536)
    return head.split(b"\r\n", 1)[0]


def test_keep_alive_connections_spread_over_the_workers(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "IDP_ISSUER": url,
           "IDP_DATABASE_URL": f"sqlite:///{tmp_path}/hub.sqlite3",
           "IDP_KEYS_DIR": str(tmp_path / "keys"), "IDP_LOG_LEVEL": "warning"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen([sys.executable, "-m", "idp", "serve", "--port", str(port),
                                "--workers", "2"], env=env, cwd=tmp_path)
    connections: list[socket.socket] = []
    try:
        wait_until_up(url + "/healthz", process)
        deadline = time.monotonic() + 120  # a busy machine: workers start slowly
        while len(pids := listening_workers(process.pid, port)) < 2 \
                and time.monotonic() < deadline:
            time.sleep(0.2)  # wait_until_up saw one worker; the other may still be starting
        assert len(pids) == 2  # each its own listening socket, the supervisor's not listening
        assert len(sockets_on(port, "0A")) == 2
        # Opened at once, as a load balancer's pool or a load generator opens them.
        connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(CONNECTIONS)]
        for _ in range(2):  # keep-alive: a second request on the same connection
            assert {get(conn, "/healthz") for conn in connections} == {b"HTTP/1.1 200 OK"}
        ends = dict(sockets_on(port, "01"))
        held = {pid: socket_inodes(pid) for pid in pids}
        per_worker = {pid: sum(ends[conn.getsockname()[1]] in inodes for conn in connections)
                      for pid, inodes in held.items()}
        assert sum(per_worker.values()) == CONNECTIONS
        assert all(count > 0 for count in per_worker.values()), per_worker
    finally:
        for conn in connections:
            conn.close()
        process.terminate()
        process.wait(timeout=20)
