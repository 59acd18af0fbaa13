"""`chorus`: run Chorus, upgrade its database, send the expiry notices, load demo data.

    chorus serve [--host 127.0.0.1] [--port 8004]   (applies migrations first)
    chorus db upgrade
    chorus notices          (what the periodic job does: e-mail expiring technical users)
    chorus demo-data [--sub SUB --email EMAIL]   (invented structures and invoices)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from clients.chorus.settings import ChorusSettings
from sitekit.settings import SettingError
from sitekit.storage import migrate

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(database_url: str) -> None:
    migrate.upgrade(database_url, migrations=MIGRATIONS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chorus", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = _command(commands, "serve", "run Chorus under uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8004)
    serve.add_argument("--no-upgrade", action="store_true")
    db = _command(commands, "db", "the database: `db upgrade` applies its migrations")
    db.add_argument("action", choices=["upgrade"])
    _command(commands, "notices", "e-mail the managers of expiring technical users")
    demo = _command(commands, "demo-data", "invented structures, users and invoices")
    demo.add_argument("--sub", action="append", default=[],
                      help="hub subject:e-mail:name of a main manager (repeatable)")
    return parser


def _command(commands: Any, name: str, text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(name, help=text, description=text)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return run(args)
    except SettingError as exc:
        print(f"chorus: {exc}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    settings = ChorusSettings.from_env()
    if args.command == "db":
        upgrade(settings.database_url)
        print("Chorus database upgraded")
        return 0
    if args.command in ("notices", "demo-data"):
        from clients.chorus.app import Chorus

        upgrade(settings.database_url)
        chorus = Chorus(settings)
        try:
            if args.command == "notices":
                print(json.dumps({"notices": chorus.service.send_expiry_notices(),
                                  "sent": chorus.service.deliver_mails()}))
            else:
                from clients.chorus.demo_data import load

                managers = [tuple(([*spec.split(":", 2), "", ""])[:3]) for spec in args.sub]
                print(json.dumps(load(chorus.service, managers)))
        finally:
            chorus.close()
        return 0
    import uvicorn

    from clients.chorus.app import create_app
    from sitekit.logs import configure_logging

    # JSON lines, or text on a terminal (sitekit/logs.py), uvicorn's and Alembic's included.
    log_config = configure_logging("warning")
    if not args.no_upgrade:
        upgrade(settings.database_url)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning",
                log_config=log_config, proxy_headers=False,
                server_header=False)  # no "server: uvicorn": it tells an attacker what runs
    return 0


if __name__ == "__main__":
    sys.exit(main())
