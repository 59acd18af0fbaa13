"""`idp serve --workers N`: every worker listens on a socket of its own (SO_REUSEPORT), so that
the kernel spreads new connections over the workers (issue 16).

uvicorn binds one socket in its supervisor and hands that same socket to every worker: they
accept from one queue, the first one awake drains it, and a burst of keep-alive connections
(a load balancer's pool, a load generator) lands on one worker and stays there for its whole
life; the other workers idle. With SO_REUSEPORT (Linux ≥ 3.9) each worker has its own
listening socket bound to the same address, and the kernel picks one of them for each new
connection by a hash of the connection's addresses and ports.

The supervisor keeps uvicorn's (restarts a dead worker, forwards signals); only the socket
changes. The supervisor's own socket is bound with SO_REUSEPORT but never listens: it holds
the port and reports a taken one before any worker starts, and the kernel gives connections
only to listening sockets. Each time uvicorn pickles it for a new worker process (spawn),
the worker gets a new socket bound to the same address instead of a copy of this one.
Another process could join the group only under the hub's own user (the kernel's rule for
SO_REUSEPORT), which could do anything to the hub anyway.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

logger = logging.getLogger("uvicorn.error")


def reuse_port_socket(family: int, address: Any) -> socket.socket:
    """A new TCP socket bound to `address` with SO_REUSEPORT, not listening yet (uvicorn's
    server calls listen() in the worker)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


class _PortHolder(socket.socket):
    """The supervisor's socket; pickled into a worker, a new socket of that worker's own."""

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return (reuse_port_socket, (self.family, self.getsockname()))


def hold_port(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    holder = _PortHolder(family, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    holder.bind((host, port))
    return holder


def run_workers(config: Config) -> None:
    """uvicorn's supervisor over `config.workers` workers, each on its own socket."""
    try:
        holder = hold_port(config.host, config.port)
    except OSError as exc:
        logger.error(exc)
        sys.exit(STARTUP_FAILURE)
    host, port = holder.getsockname()[:2]
    logger.info("Uvicorn running on http://%s:%d, %d workers, one socket each (SO_REUSEPORT)",
                host, port, config.workers)
    try:
        Multiprocess(config, sockets=[holder]).run()
    except KeyboardInterrupt:
        pass
    finally:
        holder.close()
