"""The ports tests give to the servers they start (tests/servers.py): this process's own
block, below the kernel's ephemeral range, never one something listens on."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.servers import PORT_BLOCK, _block_start, free_port


def test_ports_come_from_this_process_block_one_after_the_other() -> None:
    start = _block_start()
    ports = [free_port() for _ in range(5)]
    assert len(set(ports)) == 5
    assert all(start <= p < start + PORT_BLOCK for p in ports)
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    assert start + PORT_BLOCK <= low  # never a port the kernel hands out by itself


def test_a_port_something_listens_on_is_skipped() -> None:
    start = _block_start()
    taken = free_port()
    following = start + (taken - start + 1) % PORT_BLOCK
    with socket.create_server(("127.0.0.1", following)):
        assert free_port() != following
