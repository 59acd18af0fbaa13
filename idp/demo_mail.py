"""The demo's mail catcher: a real SMTP server (RFC 5321, aiosmtpd) on 127.0.0.1 that keeps
every message it receives as an `.eml` file (RFC 5322, as received) in one folder, and a small
page of the demo listing those messages so that a person can read them.

Only `idp demo` uses this: in production the hub hands its e-mails to the operator's relay
(`IDP_SMTP_HOST`, `IDP_SMTP_PORT`).
"""

from __future__ import annotations

import html
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sitekit.texts import N_

MAIL_PAGE = "/demo/courriels"
# The names this module gives its files; anything else in the folder is never served.
EML_NAME = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{8}\.eml$")


class MailCatcher:
    """Accepts every message for every recipient and writes it to `folder/<time>-<id>.eml`."""

    def __init__(self, folder: Path, port: int, host: str = "127.0.0.1") -> None:
        self.folder = folder
        self.host = host
        self.port = port  # chosen free by the caller: aiosmtpd's controller fails with port 0
        self._controller: Controller | None = None

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        assert envelope.original_content is not None  # aiosmtpd sets it before handle_DATA
        self.save(envelope.original_content)
        return "250 Message accepted for delivery"

    def save(self, content: bytes) -> Path:
        name = time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + f"-{secrets.token_hex(4)}.eml"
        path = self.folder / name
        partial = self.folder / f".{name}.part"
        partial.write_bytes(content)
        os.replace(partial, path)  # a reader never sees half a message
        return path

    def start(self) -> MailCatcher:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@dataclass(frozen=True)
class SavedMail:
    name: str
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


def saved_mails(folder: Path) -> list[SavedMail]:
    """The messages of the folder, newest first."""
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.iterdir() if EML_NAME.match(p.name)), reverse=True)
    return [read_mail(folder, name) for name in names]


def read_mail(folder: Path, name: str) -> SavedMail:
    message = message_from_bytes((folder / name).read_bytes(), policy=policy.default)
    return SavedMail(name, message)  # policy.default builds an EmailMessage


PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/static/dsfr/dsfr.min.css"></head>
<body><main class="fr-container fr-my-4w">{body}</main></body></html>"""


def mail_page_app(folder: Path, gettext: Callable[[str], str], lang: str) -> Starlette:
    """The demo's own pages: the list of caught messages and each message's text."""

    def page(title: str, body: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(PAGE.format(lang=lang, title=html.escape(title), body=body),
                            status_code=status)

    async def listing(request: Request) -> Response:
        title = gettext(N_("E-mails sent by the demo hub"))
        intro = gettext(N_("The demo delivers no e-mail: each message is kept in {folder}."))
        rows = "".join(
            f"<tr><td>{html.escape(str(m.message['Date'] or ''))}</td>"
            f"<td>{html.escape(str(m.message['To'] or ''))}</td>"
            f'<td><a href="{MAIL_PAGE}/{m.name}">'
            f"{html.escape(str(m.message['Subject'] or m.name))}</a></td></tr>"
            for m in saved_mails(folder))
        if rows:
            heads = "".join(f"<th>{html.escape(gettext(label))}</th>"
                            for label in (N_("Date"), N_("To"), N_("Subject")))
            table = (f'<div class="fr-table"><table><thead><tr>{heads}</tr></thead>'
                     f"<tbody>{rows}</tbody></table></div>")
        else:
            table = "<p>" + html.escape(gettext(N_("No e-mail yet."))) + "</p>"
        body = (f"<h1>{html.escape(title)}</h1>"
                f"<p>{html.escape(intro.format(folder=folder))}</p>{table}")
        return page(title, body)

    async def one(request: Request) -> Response:
        name = request.path_params["name"]
        back = (f'<p><a href="{MAIL_PAGE}">'
                + html.escape(gettext(N_("Back to the list"))) + "</a></p>")
        if not EML_NAME.match(name) or not (folder / name).is_file():
            title = gettext(N_("No such e-mail"))
            return page(title, f"<h1>{html.escape(title)}</h1>{back}", 404)
        mail = read_mail(folder, name)
        subject = str(mail.message["Subject"] or name)
        headers = "".join(
            f"<li>{html.escape(gettext(label))} : {html.escape(str(mail.message[key] or ''))}"
            f"</li>"
            for label, key in ((N_("From"), "From"), (N_("To"), "To"), (N_("Date"), "Date")))
        body = (f"<h1>{html.escape(subject)}</h1><ul>{headers}</ul>"
                f"<pre>{html.escape(mail.text)}</pre>{back}")
        return page(subject, body)

    return Starlette(routes=[Route(MAIL_PAGE, listing), Route(MAIL_PAGE + "/{name:path}", one)])


class WithMailPage:
    """ASGI: the demo's mail pages under MAIL_PAGE, everything else (lifespan included) to
    the hub, whose own routes stay those of production."""

    def __init__(self, hub: ASGIApp, mail_pages: ASGIApp) -> None:
        self.hub = hub
        self.mail_pages = mail_pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == MAIL_PAGE or path.startswith(MAIL_PAGE + "/")):
            await self.mail_pages(scope, receive, send)
        else:
            await self.hub(scope, receive, send)
