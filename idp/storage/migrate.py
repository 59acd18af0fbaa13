"""The hub's migrations folder, and sitekit's migration helpers defaulting to it."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from sitekit.storage import migrate
from sitekit.storage.migrate import current_revision, run_environment

__all__ = ["MIGRATIONS", "alembic_config", "applied_revisions", "current_revision",
           "head_revisions", "run_environment", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str, migrations: Path = MIGRATIONS) -> Config:
    return migrate.alembic_config(database_url, migrations)


def upgrade(database_url: str, revision: str = "head", migrations: Path = MIGRATIONS) -> None:
    migrate.upgrade(database_url, migrations, revision)


@functools.cache
def head_revisions(migrations: Path = MIGRATIONS) -> frozenset[str]:
    """The revisions this code expects the database at (read once per process)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://", migrations))
                     .get_heads())


def applied_revisions(s: Session) -> frozenset[str]:
    """The revisions the database is at (empty: never migrated)."""
    if not inspect(s.connection()).has_table("alembic_version"):
        return frozenset()
    return frozenset(s.scalars(text("SELECT version_num FROM alembic_version")))
