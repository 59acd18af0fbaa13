"""Reading and checking settings from the environment, the same way in the hub and in each
application: a bad value stops the command with one line naming the variable (SettingError)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class SettingError(ValueError):
    """A setting that cannot be used: one line naming the variable, what is wrong and what
    is allowed (the commands print it and exit with status 2)."""


def check_numbers(prefix: str, settings: Any, can_be_zero: tuple[str, ...]) -> None:
    """Every number more than 0, or 0 or more for those named in `can_be_zero`."""
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if f.type in ("int", "float") and (value < 0 or (value == 0 and f.name
                                                          not in can_be_zero)):
            allowed = "0 or more" if f.name in can_be_zero else "more than 0"
            raise SettingError(f"{prefix}{f.name.upper()}={value}: must be {allowed}")


def convert(prefix: str, f: dataclasses.Field[Any], raw: str) -> Any:
    """The value of an environment variable as the field's type, or a one-line SettingError."""
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    expected = {"int": "a whole number", "float": "a number"}.get(kind)
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        meaning = f.metadata["doc"].rstrip(".")
        raise SettingError(f"{prefix}{f.name.upper()}={raw!r}: not {expected}; give {expected} "
                           f"({meaning}; default {f.default})") from None
    return raw


def values_from_env(cls: type, prefix: str, environ: Mapping[str, str] | None,
                    overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A settings dataclass's values: each field from `<prefix><FIELD>` when set (converted
    to the field's type), then `overrides`."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        raw = env.get(prefix + f.name.upper())
        if raw is not None:
            values[f.name] = convert(prefix, f, raw)
    values.update(overrides)
    return values


def check_issuer_url(variable: str, url: str) -> None:
    """An issuer or public base URL: absolute https, plain http only on loopback
    (RFC 6749 §3.1, RFC 8252 §7.3), no query, fragment or trailing slash (OIDC Discovery §4)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SettingError(f"{variable}={url!r}: not an absolute URL; give "
                           "https://host[:port][/path]")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise SettingError(f"{variable}={url!r}: plain http is only allowed on loopback "
                           f"({', '.join(LOOPBACK_HOSTS)}); use https://")
    if parts.query or parts.fragment or url.endswith("/"):
        raise SettingError(f"{variable}={url!r}: no query, fragment or trailing '/' allowed")


def check_database_url(variable: str, url: str) -> None:
    try:
        backend = make_url(url).get_backend_name()
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        # The value is not repeated: it may hold a password.
        raise SettingError(f"{variable}: not a database URL; give "
                           "sqlite:///path/file.sqlite3 or postgresql+psycopg://user@host/db"
                           ) from None
    if backend not in ("sqlite", "postgresql"):
        raise SettingError(f"{variable}: database {backend!r} is not supported; "
                           "allowed: sqlite, postgresql")
