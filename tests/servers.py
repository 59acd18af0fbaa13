"""Starting real servers for end-to-end and browser tests: free ports, readiness."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import threading
import time
from typing import Any

import httpx
import uvicorn

# Ports for the servers tests start as processes of their own. A port the kernel picks
# (bind to 0) is free when picked, but another process may get the same one before the server
# binds it: CI once saw a browser test's hub lose its port to the other pass's APA, and the
# tests then spoke to APA. So each test process hands out ports from a block of its own (per
# CI pass and xdist worker), below the kernel's ephemeral range (32768-60999 here, where
# bind-to-0 and outgoing connections take theirs), one after the other.
PORT_BLOCK = 500
_handed_out = itertools.count()


def _block_start() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    run = 1 if os.environ.get("IDP_TEST_DATABASE") == "postgresql" else 0
    return 20000 + (run * 8 + index % 8) * PORT_BLOCK


def free_port() -> int:
    """A port of this process's block that nothing listens on now."""
    start = _block_start()
    for _ in range(PORT_BLOCK):
        port = start + next(_handed_out) % PORT_BLOCK
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue  # a service of the machine, or a server still closing
        return port
    raise RuntimeError(f"no free port in {start}-{start + PORT_BLOCK - 1}")


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    """Poll `url` until it answers (any status below 500); fail if the process exits. The
    bound is generous: on a loaded shared machine a server may take 30 s to import and start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


class ThreadedServer:
    """An ASGI app under uvicorn in a daemon thread on a free port, as a context manager."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
