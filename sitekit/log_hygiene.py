"""No token, code or secret in any log, at any level (issue 10, finding 5).

Some libraries write secrets in their debug lines: authlib's grants log every token they
issue in full ("Issue token %r to %r"), its client side the PKCE verifier, its client
authentication the client_id as typed (possibly a secret typed in the wrong field);
SQLAlchemy's engine logs result rows at debug level (hashes, sealed seeds, session data,
messages waiting in the outbox) and uvicorn's "trace" level the raw headers of each request
(Authorization included). Those loggers are held at a level where they write no secret,
whatever IDP_LOG_LEVEL says; the engines also hide statement parameters (db.py).
"""

from __future__ import annotations

import logging

QUIETED = {
    "authlib": logging.INFO,
    "sqlalchemy.engine": logging.WARNING,
    "uvicorn.asgi": logging.INFO,
    "hpack": logging.INFO,
}


def keep_secrets_out_of_logs() -> None:
    """Hold the loggers that write secrets at a safe level (idempotent)."""
    for name, level in QUIETED.items():
        logger = logging.getLogger(name)
        if logger.level < level:
            logger.setLevel(level)
