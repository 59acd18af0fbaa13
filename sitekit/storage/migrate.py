"""Apply an application's Alembic migrations programmatically (`idp db upgrade`, `apa db
upgrade`, the demo, the tests), and the environment every migrations folder runs
(`run_environment`). Each application names its own migrations folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, pool

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def alembic_config(database_url: str, migrations: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, migrations: Path, revision: str = "head") -> None:
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url, migrations), revision)


def run_environment(metadata: MetaData, version_table: str = "alembic_version") -> None:
    """Body of a migrations folder's env.py: the URL comes from the caller, never a file."""
    from alembic import context

    config = context.config

    def run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite",
                          version_table=version_table)
        with context.begin_transaction():
            context.run_migrations()

    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None  # set by the caller (upgrade, current_revision)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        run(connection)


def current_revision(database_url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
