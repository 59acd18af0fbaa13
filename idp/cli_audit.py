"""`idp audit list`: the audit trail, newest first, filtered by account, event, client and
time; read-only (the database is opened as the listing commands open it: nothing created).

The values were cleaned when written (idp/audit_values.py); what is printed is escaped again
(idp/cli_output.py) so no stored value can send an escape sequence to the terminal.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import time
from functools import partial
from typing import Any

from idp.admin import AdminError, quoted
from idp.cli_output import safe, when
from idp.cli_providers import CommandKit

DEFAULT_LIMIT = 50
MAX_LIMIT = 10_000
# An event name as the hub writes them (`login.succeeded`), or a prefix ending in `*`.
EVENT_PATTERN = re.compile(r"[a-z0-9_.]{1,64}\*?|\*")
DURATION = re.compile(r"(\d{1,6})([smhdw])")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MOMENT_HELP = ("an ISO 8601 date or time in UTC unless an offset is given (2026-11-27, "
               "2026-11-27T08:30, 2026-11-27T08:30+01:00) or a duration back from now "
               "(30m, 24h, 7d, 2w)")


def add_commands(sub: Any, kit: CommandKit) -> None:
    """The `audit` group under the `idp` parser (`sub`: cli._Commands)."""
    group = sub.group("audit", help="the audit trail (logins, tokens, operator actions...)")
    listing = group.add("list", help="events newest first, filtered (read-only)")
    listing.add_argument("--account", metavar="USERNAME",
                         help="one account's events (any of its login names)")
    listing.add_argument("--event", action="append", metavar="NAME",
                         help="an event name, or a prefix such as 'login.*'; repeat for "
                              "several (any of them)")
    listing.add_argument("--client", metavar="CLIENT_ID", help="one client's events")
    listing.add_argument("--since", metavar="WHEN", help="from WHEN: " + MOMENT_HELP)
    listing.add_argument("--until", metavar="WHEN", help="up to WHEN (same forms)")
    listing.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                         help=f"at most this many events (default {DEFAULT_LIMIT}, "
                              f"at most {MAX_LIMIT})")
    listing.set_defaults(handler=partial(cmd_list, kit))
    verify = group.add("verify", help="check the hash chain and signed checkpoints: exit 0 "
                                      "when intact, 1 with the first altered, missing or "
                                      "reordered event of each stream (read-only)")
    verify.set_defaults(handler=partial(cmd_verify, kit))


def cmd_list(kit: CommandKit, args: argparse.Namespace) -> int:
    from idp.storage.repositories import accounts as accounts_repo
    from idp.storage.repositories import audit as audit_repo

    now = int(time.time())
    if not 1 <= args.limit <= MAX_LIMIT:
        raise AdminError(f"--limit is 1 to {MAX_LIMIT}")
    names, prefixes = event_filters(args.event or [])
    since = None if args.since is None else moment(args.since, now, "--since")
    until = None if args.until is None else moment(args.until, now, "--until")
    if since is not None and until is not None and since > until:
        raise AdminError("--since is after --until: nothing can match")
    if args.client is not None and not (0 < len(args.client) <= 255
                                        and safe(args.client) == args.client):
        raise AdminError("--client: a client id has 1 to 255 printable characters")
    with kit.reader().read() as s:
        account_id = None
        if args.account is not None:
            account = (accounts_repo.find_by_login(s, args.account)
                       if 0 < len(args.account) <= 320 else None)
            if account is None:
                raise AdminError(f"no user {quoted(args.account)}")
            account_id = account.id
        rows = audit_repo.search_events(
            s, account_id=account_id, events=names, prefixes=prefixes,
            client_id=args.client, since=since, until=until, limit=args.limit)
        names_of = accounts_repo.usernames(s, (r.account_id for r in rows if r.account_id))
        events = [{"id": r.id, "at": r.at, "event": r.event,
                   "account": names_of.get(r.account_id) if r.account_id else None,
                   "account_id": r.account_id, "client_id": r.client_id, "ip": r.ip,
                   "fi": r.fi, "detail": r.detail or {}} for r in rows]
    kit.emit(args, events, "\n".join(_line(e) for e in events) or "no events")
    return 0


def cmd_verify(kit: CommandKit, args: argparse.Namespace) -> int:
    """docs/operations.md, "Audit trail integrity"."""
    from idp.audit_chain import existing_chain_key
    from idp.audit_checkpoints import checkpoint_verifier
    from idp.audit_verify import verify
    from idp.settings import Settings

    settings = Settings.from_env()
    key = existing_chain_key(settings.keys_dir)
    if key is None:
        raise AdminError(f"no hash.key in the keys folder {settings.keys_dir}: the chain "
                         "cannot be checked without it")
    report = verify(kit.reader(), key, checkpoint_verifier(settings.keys_dir),
                    int(time.time()), settings.history_kept_days * 86400)
    summary = (f"{report.events} events in {report.streams} streams, {report.checkpoints} "
               f"checkpoints" + (f", {report.unchained} older events not chained"
                                 if report.unchained else ""))
    lines = [safe(f"{p.kind}: {p.message}") for p in report.problems]
    kit.emit(args, {"intact": not report.problems, "events": report.events,
                    "streams": report.streams, "checkpoints": report.checkpoints,
                    "unchained": report.unchained,
                    "problems": [p.as_dict() for p in report.problems]},
             "\n".join([*lines, ("NOT INTACT: " if lines else "intact: ") + summary]))
    return 1 if report.problems else 0


def event_filters(values: list[str]) -> tuple[list[str], list[str]]:
    """(exact names, prefixes) of the --event values; a malformed one is refused."""
    names, prefixes = [], []
    for value in values:
        if not EVENT_PATTERN.fullmatch(value):
            raise AdminError(f"--event {safe(value[:70])!r}: an event name such as "
                             "login.succeeded, or a prefix such as 'login.*'")
        if value.endswith("*"):
            prefixes.append(value[:-1])
        else:
            names.append(value)
    return names, prefixes


def moment(text: str, now: int, option: str) -> int:
    """A Unix time from an ISO 8601 date or time (UTC unless an offset is given) or a
    duration back from `now`."""
    text = text.strip()
    if found := DURATION.fullmatch(text):
        return now - int(found.group(1)) * UNITS[found.group(2)]
    try:
        if len(text) > 40:
            raise ValueError
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise AdminError(f"{option} {safe(text[:60])!r}: give {MOMENT_HELP}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return int(parsed.timestamp())


def _line(event: dict[str, Any]) -> str:
    who = event["account"] or (f"account #{event['account_id']}" if event["account_id"]
                               else "-")
    extra = [f"client {event['client_id']}" if event["client_id"] else "",
             f"ip {event['ip']}" if event["ip"] else "", f"fi {event['fi']}" if event["fi"] else "",
             json.dumps(event["detail"], ensure_ascii=False, sort_keys=True)
             if event["detail"] else ""]
    return safe(f"{when(event['at'])}  {event['event']:<36} {who:<24} "
                + "  ".join(e for e in extra if e))
