"""`idp providers ...`: the operator's commands on the upstream identity providers (FI).

The client secret is never a command-line argument (it would show in `ps` and the shell's
history): it is read from `--client-secret-file` (`-`: standard input), the variable
IDP_PROVIDER_CLIENT_SECRET, or a prompt on a terminal, and never printed.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from idp import admin_providers as actions
from idp.federation import providers as rules
from idp.federation.providers import InvalidProvider

SECRET_VARIABLE = "IDP_PROVIDER_CLIENT_SECRET"
ENDPOINTS = ("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint",
             "jwks_uri", "end_session_endpoint")


@dataclass(frozen=True)
class CommandKit:
    """What the `idp` command lends these commands (its output and database helpers), given
    at registration so this module does not import idp.cli back."""

    emit: Callable[[argparse.Namespace, Any, str], None]
    fields: Callable[[dict[str, Any]], str]
    runtime: Callable[..., Any]  # a Runtime, closed when the command ends
    reader: Callable[[], Any]  # a read-only Database of an existing schema


class _RefuseSecretArgument(argparse.Action):
    """`--client-secret VALUE` is refused without echoing VALUE."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        parser.error("never give a client secret on the command line (it would show in "
                     f"`ps`): use --client-secret-file FILE (- for stdin) or {SECRET_VARIABLE}")


def add_commands(sub: Any, kit: CommandKit) -> None:
    """The `providers` group under the `idp` parser (`sub`: cli._Commands)."""
    group = sub.group("providers", help="upstream identity providers (FI) citizens log in "
                                        "with")
    add = group.add("add", help="register an FI", allow_abbrev=False)
    add.add_argument("--id", required=True, help="slug: a-z, 0-9, '-', at most 40")
    add.add_argument("--name", required=True, help="shown on the picker, 1 to 80 characters")
    add.add_argument("--client-id", required=True, help="the hub's client id at the FI")
    _provider_options(add)
    add.add_argument("--auth-method", default="client_secret_basic",
                     help="client_secret_basic (default), client_secret_post, "
                          "private_key_jwt")
    add.add_argument("--scopes", default="openid profile email birth",
                     help="asked of the FI, space- or comma-separated; must include openid")
    add.add_argument("--acr", default="eidas1", help="levels it can give, e.g. eidas1,eidas2")
    add.add_argument("--position", type=int, help="order on the picker (default: last)")
    add.add_argument("--hidden", action="store_true",
                     help="not on the picker: reachable only with idp_hint")
    add.add_argument("--disabled", action="store_true", help="registered switched off")
    add.set_defaults(handler=partial(cmd_add, kit))

    update = group.add("update", help="change an FI's fields; an empty value clears an "
                                      "optional URL", allow_abbrev=False)
    update.add_argument("provider_id")
    update.add_argument("--name")
    update.add_argument("--client-id")
    _provider_options(update)
    update.add_argument("--auth-method")
    update.add_argument("--scopes")
    update.add_argument("--acr")
    update.add_argument("--position", type=int)
    shown = update.add_mutually_exclusive_group()
    shown.add_argument("--hidden", dest="shown", action="store_false", default=None)
    shown.add_argument("--shown", dest="shown", action="store_true")
    update.add_argument("--replace-secret", action="store_true",
                        help=f"read a new client secret (file, {SECRET_VARIABLE} or prompt)")
    update.set_defaults(handler=partial(cmd_update, kit))

    group.add("list", help="every FI with its state").set_defaults(
        handler=partial(cmd_list, kit))
    for name, handler, text in (
            ("show", cmd_show, "an FI's settings and health (never its secret)"),
            ("enable", cmd_enable, "switch an FI on (also clears an automatic unavailability)"),
            ("disable", cmd_disable, "switch an FI off: greyed on the picker, not clickable"),
            ("remove", cmd_remove, "delete an FI")):
        command = group.add(name, help=text)
        command.add_argument("provider_id")
        command.set_defaults(handler=partial(handler, kit))


def _provider_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--logo", help="https URL or a /static/ path")
    parser.add_argument("--discovery-url",
                        help="…/.well-known/openid-configuration (or the endpoints below)")
    for name in ENDPOINTS:
        parser.add_argument("--" + name.replace("_", "-"))
    parser.add_argument("--client-secret-file", help="file holding the secret (- : stdin)")
    parser.add_argument("--client-secret", action=_RefuseSecretArgument,
                        help=argparse.SUPPRESS)


# Commands -----------------------------------------------------------------------------------


def cmd_add(kit: CommandKit, args: argparse.Namespace) -> int:
    method = args.auth_method
    secret = None
    if args.client_secret_file is not None or method in rules.SECRET_METHODS:
        secret = read_secret(args.client_secret_file)
    provider = actions.new_provider(
        id=args.id, display_name=args.name, client_id=args.client_id, client_secret=secret,
        logo_url=args.logo, discovery_url=args.discovery_url,
        **{name: getattr(args, name) for name in ENDPOINTS},
        token_endpoint_auth_method=method, scopes=rules.split_list(args.scopes),
        acr_values=rules.split_list(args.acr), position=args.position or 0,
        shown=not args.hidden, enabled=not args.disabled)
    rules.validate(provider)  # before any file is made
    rt = kit.runtime()
    data = actions.add_provider(rt.db, rt.keys.secret_box, rt.clock.now(), provider,
                                at_end=args.position is None)
    _emit(kit, args, data)
    return 0


def cmd_update(kit: CommandKit, args: argparse.Namespace) -> int:
    changes = {
        "display_name": args.name, "client_id": args.client_id, "logo_url": args.logo,
        "discovery_url": args.discovery_url,
        **{name: getattr(args, name) for name in ENDPOINTS},
        "token_endpoint_auth_method": args.auth_method,
        "scopes": None if args.scopes is None else rules.split_list(args.scopes),
        "acr_values": None if args.acr is None else rules.split_list(args.acr),
        "position": args.position, "shown": args.shown,
    }
    secret: str | actions.KeepSecret | None = actions.KEEP
    if args.replace_secret or args.client_secret_file is not None:
        secret = read_secret(args.client_secret_file)
    rt = kit.runtime(existing=True)
    data = actions.update_provider(rt.db, rt.keys.secret_box, rt.clock.now(),
                                   args.provider_id, changes, secret)
    _emit(kit, args, data)
    return 0


def cmd_list(kit: CommandKit, args: argparse.Namespace) -> int:
    rows = actions.list_providers(kit.reader())
    kit.emit(args, rows, "\n".join(_line(r) for r in rows) or "no FI")
    return 0


def cmd_show(kit: CommandKit, args: argparse.Namespace) -> int:
    _emit(kit, args, actions.show_provider(kit.reader(), args.provider_id))
    return 0


def cmd_enable(kit: CommandKit, args: argparse.Namespace) -> int:
    return _switch(kit, args, enabled=True)


def cmd_disable(kit: CommandKit, args: argparse.Namespace) -> int:
    return _switch(kit, args, enabled=False)


def cmd_remove(kit: CommandKit, args: argparse.Namespace) -> int:
    rt = kit.runtime(existing=True)
    actions.remove_provider(rt.db, args.provider_id)
    kit.emit(args, {"removed": args.provider_id}, f"FI {args.provider_id} removed")
    return 0


def _switch(kit: CommandKit, args: argparse.Namespace, enabled: bool) -> int:
    rt = kit.runtime(existing=True)
    data = actions.switch_provider(rt.db, rt.clock.now(), args.provider_id, enabled)
    kit.emit(args, data, f"FI {args.provider_id} {data['state']} since {data['since']}")
    return 0


# Reading the secret -------------------------------------------------------------------------


def read_secret(path: str | None) -> str | None:
    """From the file (- : stdin), else IDP_PROVIDER_CLIENT_SECRET, else a prompt on a
    terminal; None when none of them gives one (the rules then say what is missing)."""
    if path is not None:
        try:
            text = sys.stdin.readline() if path == "-" else Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise InvalidProvider(f"--client-secret-file {path!r}: cannot read it "
                                  f"({reason})") from None
        return text.rstrip("\r\n") or None
    if os.environ.get(SECRET_VARIABLE):
        return os.environ[SECRET_VARIABLE]
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass("client secret given by the FI (not shown): ") or None
    return None


# Output -------------------------------------------------------------------------------------


def _emit(kit: CommandKit, args: argparse.Namespace, data: dict[str, Any]) -> None:
    kit.emit(args, data, kit.fields(data))


def _line(row: dict[str, Any]) -> str:
    return (f"{row['id']:<20} {row['display_name'][:30]:<30} {row['position']:>5} "
            f"{'shown' if row['shown'] else 'hidden':<6} "
            f"{'enabled' if row['enabled'] else 'disabled':<8} "
            f"{row['state']:<11} since {row['since']}")
