"""One Sender interface; e-mail over SMTP (RFC 5321), SMS to a file sink (the demo's
gateway; a real SMS gateway is another Sender), and tokens POSTed to relying applications
(back-channel logout, security event tokens)."""

from __future__ import annotations

import json
import smtplib
import threading
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import httpx


class DeliveryError(Exception):
    """The message could not be handed over; the outbox retries it later."""


class Sender(Protocol):
    def send(self, recipient: str, subject: str, body: str) -> None: ...


class SmtpSender:
    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def send(self, recipient: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = recipient
        message["Subject"] = subject
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {exc}") from exc


class FileSmsSender:
    """Appends each SMS as a JSON line to a file (the demo and tests read it)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, recipient: str, subject: str, body: str) -> None:
        line = json.dumps({"to": recipient, "text": body}, ensure_ascii=False)
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(line + "\n")
        except OSError as exc:
            raise DeliveryError(f"SMS sink {self.path}: {exc}") from exc


class Refused(DeliveryError):
    """The receiver refused the message for good (or it has nowhere to go any more): the
    outbox stops trying, logs and audits it."""


# HTTP deliveries to relying applications ------------------------------------------------------

LOGOUT = "logout"  # OpenID Connect Back-Channel Logout 1.0: a logout token, form POST
SECURITY_EVENT = "set"  # a Security Event Token (RFC 8417) pushed per RFC 8935
HTTP_CHANNELS = (LOGOUT, SECURITY_EVENT)
MAX_ANSWER = 1_000_000  # bytes of an answer read at most (the error's description)
SET_MEDIA_TYPE = "application/secevent+jwt"


class HttpEventSender:
    """Delivers a token to a client's registered URI. The outbox row names the client
    (`recipient` = client_id) and holds the token's claims (`body`, JSON): the URI is the
    client's current one (`target`), and the token is signed at each attempt (`sign`: fresh
    `iat`, same `jti`), so a delivery that succeeds after hours of retries is still fresh.

    Logout (Back-Channel Logout 1.0 §2.5, §2.8): 200 is success, 400 a refusal. SET (RFC 8935
    §2.2-2.4): 202 (or 200) is success; 400 with `{"err": ..., "description": ...}` a refusal.
    Anything else (5xx, a timeout, a redirect: never followed) is tried again later."""

    def __init__(self, channel: str, target: Callable[[str], str | None],
                 sign: Callable[[str, dict[str, Any]], str], timeout: float = 10.0) -> None:
        assert channel in HTTP_CHANNELS
        self.channel, self.target, self.sign, self.timeout = channel, target, sign, timeout

    def send(self, recipient: str, subject: str, body: str) -> None:
        uri = self.target(recipient)
        if not uri:
            raise Refused(f"{self.channel} to {recipient}: no URI registered any more")
        try:
            claims = json.loads(body)
        except ValueError:
            raise Refused(f"{self.channel} to {recipient}: unreadable claims") from None
        token = self.sign(self.channel, claims)
        if self.channel == LOGOUT:
            request: dict[str, Any] = {"data": {"logout_token": token}}
        else:
            request = {"content": token.encode(), "headers": {
                "Content-Type": SET_MEDIA_TYPE, "Accept": "application/json"}}
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=False) as http, \
                    http.stream("POST", uri, **request) as response:
                status = response.status_code
                answer = _read_capped(response)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{self.channel} to {recipient}: {type(exc).__name__}") \
                from exc
        if status == 200 or (status == 202 and self.channel == SECURITY_EVENT):
            return
        if status == 400:
            raise Refused(f"{self.channel} to {recipient}: refused (400) "
                          f"{_refusal(answer)}")
        raise DeliveryError(f"{self.channel} to {recipient}: HTTP {status}")


def _read_capped(response: httpx.Response) -> bytes:
    answer = b""
    for chunk in response.iter_bytes():
        answer += chunk
        if len(answer) >= MAX_ANSWER:
            return answer[:MAX_ANSWER]
    return answer


def _refusal(answer: bytes) -> str:
    """RFC 8935 §2.3's error object, in one bounded printable line."""
    try:
        value = json.loads(answer)
    except ValueError:
        return "(no error object)"
    if not isinstance(value, dict):
        return "(no error object)"
    text = f"{value.get('err') or value.get('error')}: " \
           f"{value.get('description') or value.get('error_description') or ''}"
    return "".join(c for c in text if c.isprintable())[:200]
