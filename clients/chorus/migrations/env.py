"""Alembic environment of Chorus's database (see sitekit.storage.migrate); its own version
table, in case the database is shared with another application."""

from clients.chorus.models import Base
from sitekit.storage.migrate import run_environment

run_environment(Base.metadata, version_table="chorus_alembic_version")
