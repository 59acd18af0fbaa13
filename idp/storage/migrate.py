"""The hub's migrations folder, and sitekit's migration helpers defaulting to it."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from sitekit.storage import migrate
from sitekit.storage.migrate import current_revision, run_environment

__all__ = ["MIGRATIONS", "alembic_config", "current_revision", "run_environment", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str, migrations: Path = MIGRATIONS) -> Config:
    return migrate.alembic_config(database_url, migrations)


def upgrade(database_url: str, revision: str = "head", migrations: Path = MIGRATIONS) -> None:
    migrate.upgrade(database_url, migrations, revision)
