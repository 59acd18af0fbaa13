"""What the hub sends in tests: a real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it
receives, and the SMS sink file (IDP_SMS_SINK_FILE) read back."""

from __future__ import annotations

import json
import re
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.servers import free_port


class SmtpSink:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Message] = []
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def sms(rt) -> list[dict]:  # type: ignore[no-untyped-def]
    """Every SMS the outbox has delivered to the sink file so far (delivering what is due)."""
    rt.outbox.deliver_due()
    sink = Path(rt.settings.sms_sink_file)
    if not sink.exists():
        return []
    return [json.loads(line) for line in sink.read_text(encoding="utf-8").splitlines()]


def code_of(message: dict) -> str:
    """The six-digit code in an SMS."""
    return re.search(r"\b(\d{6})\b", message["text"]).group(1)  # type: ignore[union-attr]


def delivered(rt, smtp: SmtpSink) -> list[Message]:  # type: ignore[no-untyped-def]
    """Every e-mail the SMTP sink received so far (delivering what is due)."""
    rt.outbox.deliver_due()
    return list(smtp.messages)


def subject_of(message: Message) -> str:
    """The Subject header, decoded (RFC 2047)."""
    return str(make_header(decode_header(message["Subject"])))


def body_of(message: Message) -> str:
    """The text of a single-part e-mail, with plain newlines."""
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode().replace("\r\n", "\n")
