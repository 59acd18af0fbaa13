"""sitekit/logs.py: the JSON and text formats, the default format, the request id rule."""

from __future__ import annotations

import datetime
import io
import json
import logging
import logging.config
import sys

import pytest

from sitekit.logs import (
    REQUEST_ID,
    JsonFormatter,
    TextFormatter,
    default_format,
    format_from_env,
    logging_config,
)
from sitekit.web.request_context import RandomIds, request_id_of


def record(message: str = "hello %s", args: tuple = ("world",), **extra) -> logging.LogRecord:  # type: ignore[no-untyped-def, type-arg]
    logger = logging.getLogger("idp.test")
    rec = logger.makeRecord("idp.test", logging.WARNING, __file__, 1, message, args, None,
                            extra=extra or None)
    rec.created = 1795823237.123456  # 2026-11-27T23:47:17.123Z
    rec.msecs = 123.456
    return rec


def test_json_line_has_the_required_keys_in_utc_iso8601() -> None:
    line = json.loads(JsonFormatter().format(record(client="10.0.0.1", status=200)))
    assert line == {"ts": "2026-11-27T23:47:17.123Z", "level": "warning",
                    "logger": "idp.test", "event": "hello world", "client": "10.0.0.1",
                    "status": 200}
    parsed = datetime.datetime.fromisoformat(line["ts"].replace("Z", "+00:00"))
    assert parsed.utcoffset() == datetime.timedelta(0)


def test_json_line_carries_the_request_id_of_the_context() -> None:
    token = REQUEST_ID.set("abc-123")
    try:
        line = json.loads(JsonFormatter().format(record()))
    finally:
        REQUEST_ID.reset(token)
    assert line["request_id"] == "abc-123"
    assert "request_id" not in json.loads(JsonFormatter().format(record()))


def test_an_extra_field_cannot_replace_a_required_key() -> None:
    line = json.loads(JsonFormatter().format(record(event="forged", ts="forged")))
    assert line["event"] == "hello world" and line["ts"].startswith("2026-")


def test_json_line_holds_a_traceback_in_one_line_and_odd_values_as_text() -> None:
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        rec = logging.getLogger("x").makeRecord("x", logging.ERROR, __file__, 1, "failed", (),
                                                sys.exc_info(), extra={"obj": object()})
    text = JsonFormatter().format(rec)
    assert "\n" not in text
    line = json.loads(text)
    assert "ValueError: boom" in line["exc"] and line["obj"].startswith("<object")


def test_text_line_for_a_terminal() -> None:
    token = REQUEST_ID.set("r1")
    try:
        text = TextFormatter().format(record(status=200))
    finally:
        REQUEST_ID.reset(token)
    assert text == "2026-11-27T23:47:17.123Z WARNING idp.test [r1] hello world status=200"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_default_format_is_text_on_a_terminal_and_json_elsewhere() -> None:
    assert default_format(Tty()) == "text"
    assert default_format(io.StringIO()) == "json"


def test_format_from_env_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_LOG_FORMAT", "JSON")
    assert format_from_env("X_LOG_FORMAT") == "json"
    monkeypatch.setenv("X_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="X_LOG_FORMAT"):
        format_from_env("X_LOG_FORMAT")
    with pytest.raises(ValueError, match="unknown log format"):
        logging_config("info", "xml")


def test_uvicorn_and_alembic_loggers_go_through_the_one_handler() -> None:
    config = logging_config("warning", "json", {"idp.access": "info"})
    assert config["root"] == {"level": "WARNING", "handlers": ["stderr"]}
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "alembic"):
        assert config["loggers"][name] == {"handlers": [], "propagate": True,
                                           "level": "WARNING"}
    assert config["loggers"]["idp.access"]["level"] == "INFO"
    assert config["formatters"]["main"]["()"] == "sitekit.logs.JsonFormatter"


@pytest.mark.parametrize(("sent", "kept"), [
    (b"abc-DEF_1.2", True),
    (b"x" * 64, True),
    (b"x" * 65, False),
    (b"", False),
    (b"a b", False),
    (b"a\nb", False),
    (b'a"}', False),
    ("é".encode(), False),
    (b"\xff", False),
])
def test_incoming_request_id_kept_only_when_short_and_plain(sent: bytes, kept: bool) -> None:
    got = request_id_of([(b"x-request-id", sent)])
    if kept:
        assert got == sent.decode()
    else:
        assert got != sent.decode("latin-1") and len(got) == 16
        int(got, 16)


def test_a_request_id_is_made_when_none_is_sent() -> None:
    first, second = request_id_of([]), request_id_of([])
    assert first != second and len(first) == 16


def test_new_request_ids_are_random_hex_and_read_in_chunks() -> None:
    new_id = RandomIds()
    ids = [new_id() for _ in range(2 * RandomIds.CHUNK // 8 + 3)]  # past two refills
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in ids)
    assert len(set(ids)) == len(ids)
    assert request_id_of([], new_id) not in ids
