"""Alembic environment of the hub's database (see idp.storage.migrate)."""

from idp.storage.migrate import run_environment
from idp.storage.models import Base

run_environment(Base.metadata)
