"""What the operator writes around the login page (seed 001, first screen): the welcome, the
conditions of use with their links (charter, security policy), the fraud alert, the guide and
online-help links, and the entries of the assistance-contacts and FAQ pages.

The texts come from a TOML file named by IDP_CONTENT_FILE; empty, the demo's defaults shipped
in the package (`content.toml` beside this module). Each section of the operator's file
replaces the default section of the same name; a section left out keeps the default. Every
text is either one string (all languages) or a table `{ fr = "...", en = "..." }` (French
required; English falls back to French). The file is checked whole at start: one mistake
stops the hub with one line (SettingError, exit status 2). Sizes are bounded, control
characters refused, links only https/http or a path on the hub; the pages escape everything
(Jinja autoescape), so markup in a text shows as text.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sitekit.settings import SettingError

DEFAULTS_FILE = Path(__file__).with_name("content.toml")
SECTIONS = ("welcome", "conditions", "fraud_alert", "guides", "assistance", "faq")

MAX_FILE_BYTES = 256 * 1024
MAX_SHORT = 200     # titles, labels, phone numbers, hours
MAX_LONG = 2000     # sentences and answers
MAX_URL = 500
MAX_ENTRIES = 20    # links, contacts, guides
MAX_FAQ = 50
PHONE = re.compile(r"[0-9+ .()\-]{3,30}")
EMAIL = re.compile(r"[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")


@dataclass(frozen=True)
class Localized:
    """A text in each language: `text[lang]`, French when the language has none."""

    fr: str
    en: str

    def __getitem__(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


@dataclass(frozen=True)
class Link:
    label: Localized
    href: str
    text: Localized | None = None  # what the link is about, before it (conditions' links)


@dataclass(frozen=True)
class Welcome:
    title: Localized
    text: Localized


@dataclass(frozen=True)
class Conditions:
    title: Localized
    intro: Localized
    links: tuple[Link, ...]


@dataclass(frozen=True)
class FraudAlert:
    shown: bool
    title: Localized
    text: Localized
    link: Link | None


@dataclass(frozen=True)
class Contact:
    label: Localized
    phone: str
    email: str
    hours: Localized | None


@dataclass(frozen=True)
class Question:
    question: Localized
    answer: Localized


@dataclass(frozen=True)
class SiteContent:
    welcome: Welcome
    conditions: Conditions
    fraud_alert: FraudAlert
    guides: tuple[Link, ...]
    assistance: tuple[Contact, ...]
    faq: tuple[Question, ...]

    @classmethod
    def load(cls, path: str | None) -> SiteContent:
        """The defaults, each section replaced by the operator's file when `path` is set."""
        document = _read(DEFAULTS_FILE, "the default content")
        if path:
            source = f"IDP_CONTENT_FILE={path}"
            operator = _read(Path(path), source)
            unknown = operator.keys() - set(SECTIONS)
            if unknown:
                raise SettingError(f"{source}: unknown sections: {', '.join(sorted(unknown))} "
                                   f"(allowed: {', '.join(SECTIONS)})")
            document = {**document, **operator}
        else:
            source = str(DEFAULTS_FILE)
        for name in SECTIONS:
            if name not in document:
                raise SettingError(f"{source}: section [{name}] is missing")

        def at(name: str) -> tuple[_Where, Any]:
            return _Where(source, name), document[name]

        return cls(welcome=_welcome(*at("welcome")), conditions=_conditions(*at("conditions")),
                   fraud_alert=_fraud_alert(*at("fraud_alert")), guides=_guides(*at("guides")),
                   assistance=_assistance(*at("assistance")), faq=_faq(*at("faq")))


def _read(path: Path, source: str) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
        if len(raw) > MAX_FILE_BYTES:
            raise SettingError(f"{source}: more than {MAX_FILE_BYTES // 1024} KiB")
        return tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SettingError(f"{source}: cannot read: {reason}") from None


@dataclass(frozen=True)
class _Where:
    """Where a value is, for the one-line message: the file and the key path."""

    source: str
    path: str

    def at(self, key: str | int) -> _Where:
        return _Where(self.source, f"{self.path}[{key}]" if isinstance(key, int)
                      else f"{self.path}.{key}")

    def fail(self, problem: str) -> SettingError:
        return SettingError(f"{self.source}: {self.path}: {problem}")


def _table(where: _Where, value: Any, required: set[str],
           optional: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise where.fail("must be a table")
    missing = required - value.keys()
    if missing:
        raise where.fail(f"missing keys: {', '.join(sorted(missing))}")
    unknown = value.keys() - required - optional
    if unknown:
        raise where.fail(f"unknown keys: {', '.join(sorted(unknown))}")
    return value


def _list(where: _Where, value: Any, most: int) -> list[Any]:
    if not isinstance(value, list):
        raise where.fail("must be a list of tables ([[...]])")
    if len(value) > most:
        raise where.fail(f"at most {most} entries")
    return value


def _plain(where: _Where, value: Any, most: int, multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise where.fail("must be a string")
    text = value.strip()
    if not text:
        raise where.fail("must not be empty")
    if len(text) > most:
        raise where.fail(f"at most {most} characters")
    allowed = "\n" if multiline else ""
    if any(unicodedata.category(c) in ("Cc", "Cf") and c not in allowed for c in text):
        raise where.fail("control or invisible characters are not allowed")
    return text


def _text(where: _Where, value: Any, most: int = MAX_SHORT) -> Localized:
    multiline = most > MAX_SHORT
    if isinstance(value, dict):
        table = _table(where, value, {"fr"}, {"en"})
        fr = _plain(where.at("fr"), table["fr"], most, multiline)
        en = _plain(where.at("en"), table["en"], most, multiline) if "en" in table else fr
        return Localized(fr, en)
    text = _plain(where, value, most, multiline)
    return Localized(text, text)


def _href(where: _Where, value: Any) -> str:
    """https/http with a host, or a path on the hub ("/faq"): never javascript:, data:,
    a scheme-relative //host or a backslash some browsers read as a slash."""
    href = _plain(where, value, MAX_URL)
    if any(c.isspace() for c in href) or "\\" in href:
        raise where.fail("no spaces or backslashes in a link")
    if href.startswith("/"):
        if href.startswith("//"):
            raise where.fail("give https://host/... or a path starting with a single /")
        return href
    parts = urlsplit(href)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise where.fail("a link must be https://host/..., http://host/... or a path "
                         "starting with /")
    return href


def _link(where: _Where, value: Any, described: bool = False) -> Link:
    table = _table(where, value, {"label", "href"}, {"text"} if described else set())
    text = _text(where.at("text"), table["text"], MAX_LONG) if "text" in table else None
    return Link(_text(where.at("label"), table["label"]), _href(where.at("href"), table["href"]),
                text)


def _welcome(where: _Where, value: Any) -> Welcome:
    table = _table(where, value, {"title", "text"})
    return Welcome(_text(where.at("title"), table["title"]),
                   _text(where.at("text"), table["text"], MAX_LONG))


def _conditions(where: _Where, value: Any) -> Conditions:
    table = _table(where, value, {"title", "intro", "links"})
    links = _list(where.at("links"), table["links"], MAX_ENTRIES)
    return Conditions(_text(where.at("title"), table["title"]),
                      _text(where.at("intro"), table["intro"], MAX_LONG),
                      tuple(_link(where.at("links").at(i), link, described=True)
                            for i, link in enumerate(links)))


def _fraud_alert(where: _Where, value: Any) -> FraudAlert:
    table = _table(where, value, {"shown", "title", "text"}, {"link"})
    if not isinstance(table["shown"], bool):
        raise where.at("shown").fail("must be true or false")
    link = _link(where.at("link"), table["link"]) if "link" in table else None
    return FraudAlert(table["shown"], _text(where.at("title"), table["title"]),
                      _text(where.at("text"), table["text"], MAX_LONG), link)


def _guides(where: _Where, value: Any) -> tuple[Link, ...]:
    return tuple(_link(where.at(i), link)
                 for i, link in enumerate(_list(where, value, MAX_ENTRIES)))


def _contact(where: _Where, value: Any) -> Contact:
    table = _table(where, value, {"label"}, {"phone", "email", "hours"})
    if "phone" not in table and "email" not in table:
        raise where.fail("give a phone, an email or both")
    phone = _plain(where.at("phone"), table["phone"], 30) if "phone" in table else ""
    if phone and not PHONE.fullmatch(phone):
        raise where.at("phone").fail("digits, spaces, + . ( ) - only")
    email = _plain(where.at("email"), table["email"], 254) if "email" in table else ""
    if email and not EMAIL.fullmatch(email):
        raise where.at("email").fail("not an e-mail address")
    hours = _text(where.at("hours"), table["hours"]) if "hours" in table else None
    return Contact(_text(where.at("label"), table["label"]), phone, email, hours)


def _assistance(where: _Where, value: Any) -> tuple[Contact, ...]:
    return tuple(_contact(where.at(i), entry)
                 for i, entry in enumerate(_list(where, value, MAX_ENTRIES)))


def _question(where: _Where, value: Any) -> Question:
    table = _table(where, value, {"question", "answer"})
    return Question(_text(where.at("question"), table["question"], MAX_LONG),
                    _text(where.at("answer"), table["answer"], MAX_LONG))


def _faq(where: _Where, value: Any) -> tuple[Question, ...]:
    return tuple(_question(where.at(i), entry)
                 for i, entry in enumerate(_list(where, value, MAX_FAQ)))

