"""Alembic environment: the URL comes from the caller (clients.apa.cli), never a file."""

from alembic import context
from sqlalchemy import create_engine, pool

from clients.apa.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
target_metadata = Base.metadata


def run_migrations() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        version_table="apa_alembic_version",  # APA's database may be shared with the hub
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
