"""Where the hub's database is, and whether there is one, found without creating anything.

Commands that only read (`idp clients list`, `idp users show`...) must not leave an empty
database behind when they are run from the wrong folder or with the wrong URL: they look
first, and say where they looked.
"""

from __future__ import annotations

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from idp.storage.migrate import MIGRATIONS, alembic_config


class NothingThere(Exception):
    """No database, or no tables in it: the message says where."""


class OtherSchema(NothingThere):
    """Tables of another version of the hub (`idp db upgrade` brings older ones up)."""


def sqlite_file(url: URL) -> Path | None:
    """The absolute path of a SQLite file URL (relative paths are from the current folder)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).resolve()


def shown_url(database_url: str) -> str:
    """The URL to show an operator: never the password; a SQLite path made absolute."""
    url = make_url(database_url)
    path = sqlite_file(url)
    url = URL.create(url.drivername, url.username, None, url.host, url.port,
                     str(path) if path is not None else url.database, url.query)
    return url.render_as_string(hide_password=False)


def existing_schema(database_url: str, variable: str = "IDP_DATABASE_URL",
                    migrations: Path = MIGRATIONS) -> str:
    """The revision of an existing, up-to-date database; NothingThere otherwise. Creates no
    file (SQLite is opened read-only) and no table."""
    url = make_url(database_url)
    where = f"{shown_url(database_url)} ({variable})"
    path = sqlite_file(url)
    if url.get_backend_name() == "sqlite":
        if path is None or not path.is_file():
            raise NothingThere(f"no database at {where}: the file does not exist "
                               "(`idp db upgrade` creates it)")
        url = url.set(database=f"file:{path}", query={"mode": "ro", "uri": "true"})
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc) else ""
        raise NothingThere(f"cannot open the database at {where}: {reason}") from None
    finally:
        engine.dispose()
    head = ScriptDirectory.from_config(alembic_config(database_url, migrations)).get_current_head()
    if revision is None:
        raise NothingThere(f"the database at {where} has no tables: nothing there yet "
                           "(`idp db upgrade` creates them)")
    if revision != head:
        raise OtherSchema(f"the database at {where} is at revision {revision}, this version "
                           f"of the hub reads revision {head} (`idp db upgrade` updates it)")
    return revision
