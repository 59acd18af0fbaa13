"""`apa`: run APA, upgrade its database, purge expired files.

    apa serve [--host 127.0.0.1] [--port 8001]   (applies migrations first)
    apa db upgrade
    apa purge                                    (what the background purge does, now)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from clients.apa.settings import ApaSettings
from sitekit.settings import SettingError
from sitekit.storage import migrate

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(database_url: str) -> None:
    migrate.upgrade(database_url, migrations=MIGRATIONS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="apa", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run APA under uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--no-upgrade", action="store_true")
    db = commands.add_parser("db", help="database")
    db.add_argument("action", choices=["upgrade"])
    commands.add_parser("purge", help="delete expired response files and old history entries")
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
        print(json.dumps({"purged": counts, "at": int(time.time())}))
        return 0
    import uvicorn

    from clients.apa.app import create_app
    from sitekit.logs import configure_logging

    # JSON lines, or text on a terminal (sitekit/logs.py), uvicorn's and Alembic's included.
    log_config = configure_logging("warning")
    if not args.no_upgrade:
        upgrade(settings.database_url)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning",
                log_config=log_config, proxy_headers=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
