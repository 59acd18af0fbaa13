"""`apa`: run APA, upgrade its database, purge expired files.

    apa serve [--host 127.0.0.1] [--port 8001]   (applies migrations first)
    apa db upgrade
    apa purge                                    (what the background purge does, now)
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path
from typing import Any

from clients.apa.settings import ApaSettings
from sitekit.settings import SettingError
from sitekit.storage import migrate

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(database_url: str) -> None:
    migrate.upgrade(database_url, migrations=MIGRATIONS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apa", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = _command(commands, "serve", "run APA under uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--no-upgrade", action="store_true")
    db = _command(commands, "db", "the database: `db upgrade` applies its migrations")
    db.add_argument("action", choices=["upgrade"])
    _command(commands, "purge", "delete expired response files and old history entries")
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
        # One line, no traceback: which variable, what is wrong, what is allowed.
        print(f"apa: {exc}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    from clients.apa.service import load_processor

    settings = ApaSettings.from_env()
    load_processor(settings.processor)  # a bad APA_PROCESSOR is told before anything is done
    if args.command == "db":
        upgrade(settings.database_url)
        print("APA database upgraded")
        return 0
    if args.command == "purge":
        from clients.apa.app import Apa

        upgrade(settings.database_url)
        apa = Apa(settings)
        try:
            counts = apa.service.purge()
        finally:
            apa.close()
        at = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # ISO 8601
        print(json.dumps({"purged": counts, "at": at}))
        return 0
    import uvicorn

    from clients.apa.app import create_app
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
