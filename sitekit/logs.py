"""One logging configuration for the hub and the applications (issue 15): JSON lines for a
log collector, a readable line for a terminal, the request id on every line of a request.

Standard library only: a small ``Formatter`` per format, installed by ``logging.config``
(uvicorn's own loggers and Alembic's included, through the same dictionary given to uvicorn
as ``log_config``, so each worker process applies it too). A JSON line holds ``ts`` (ISO 8601,
UTC, milliseconds), ``level``, ``logger``, ``event`` (the message), ``request_id`` when the
line belongs to a request, the record's extra fields, and ``exc`` for a traceback.

Values are whatever the code logged: secrets are kept out by the code and by
``log_hygiene.py``, never by pattern matching here.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import re
import sys
import time
from contextvars import ContextVar
from typing import Any

FORMATS = ("json", "text")

# The current request's id: set by sitekit/web/request_context.py for the duration of a
# request (and carried into the thread pool with the context), read by every formatter.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

# An incoming X-Request-Id is kept only when short and plain; anything else is replaced.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# One encoder for every line (json.dumps with options would build one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)

# The attributes every LogRecord has: anything else was given by `extra=` and is written.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName", "color_message"}


def default_format(stream: Any = None) -> str:
    """text on a terminal, json otherwise (a service manager, a container, a file)."""
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return "text" if isatty is not None and isatty() else "json"


_second: tuple[int, str] = (-1, "")


def _timestamp(record: logging.LogRecord) -> str:
    """ISO 8601 in UTC with milliseconds; the part up to the second formatted once a second."""
    global _second
    whole = int(record.created)
    cached = _second
    if cached[0] != whole:
        cached = _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{cached[1]}.{int(record.msecs):03d}Z"


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        for key, value in _extras(record).items():
            line.setdefault(key, value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return _ENCODER.encode(line)


class TextFormatter(logging.Formatter):
    """`2026-11-27T23:27:17.123Z INFO    idp.web [request id] message key=value ...`"""

    def format(self, record: logging.LogRecord) -> str:
        request_id = REQUEST_ID.get()
        parts = [_timestamp(record), f"{record.levelname:<7}", record.name]
        if request_id is not None:
            parts.append(f"[{request_id}]")
        parts.append(record.getMessage())
        parts += [f"{k}={json.dumps(v, ensure_ascii=False, default=str)}"
                  for k, v in _extras(record).items()]
        text = " ".join(parts)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def logging_config(level: str = "info", fmt: str | None = None,
                   levels: dict[str, str] | None = None) -> dict[str, Any]:
    """The dictConfig of a process: the root logger on stderr in `fmt` at `level`, uvicorn's
    and Alembic's loggers through it (no handler of their own), `levels` for named loggers
    (an access log asked for is written whatever the level). Also uvicorn's `log_config`."""
    fmt = fmt or default_format()
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r}; allowed: {', '.join(FORMATS)}")
    formatter = JsonFormatter if fmt == "json" else TextFormatter
    level = level.upper()
    through_root = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "main",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            **{name: {**through_root, "level": level}
               for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "alembic")},
            **{name: {**through_root, "level": named.upper()}
               for name, named in (levels or {}).items()},
        },
    }


def configure_logging(level: str = "info", fmt: str | None = None,
                      levels: dict[str, str] | None = None) -> dict[str, Any]:
    """Install the configuration in this process and return it (for uvicorn's log_config)."""
    from sitekit.log_hygiene import keep_secrets_out_of_logs

    config = logging_config(level, fmt, levels)
    logging.config.dictConfig(config)
    keep_secrets_out_of_logs()
    return config


def format_from_env(variable: str) -> str | None:
    """The format named by an environment variable (None: the default), checked."""
    value = os.environ.get(variable, "").strip().lower()
    if value and value not in FORMATS:
        raise ValueError(f"{variable}={value!r}: unknown log format; allowed: "
                         f"{', '.join(FORMATS)}")
    return value or None
