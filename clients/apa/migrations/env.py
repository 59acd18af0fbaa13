"""Alembic environment of APA's database (see idp.storage.migrate); its own version table,
in case the database is shared with the hub."""

from clients.apa.models import Base
from sitekit.storage.migrate import run_environment

run_environment(Base.metadata, version_table="apa_alembic_version")
