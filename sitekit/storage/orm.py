"""The ORM conventions every database of the project follows (the hub's and each
application's): stable constraint names and the column types of Python annotations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Integer

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Times are epoch seconds: 64-bit on PostgreSQL (past 2038); SQLite integers are 64-bit
# already and its INTEGER PRIMARY KEY must stay INTEGER to autoincrement.
TYPE_ANNOTATION_MAP: dict[Any, Any] = {
    dict: JSON,
    list: JSON,
    # The same columns, typed for the checker (Mapped[list[str]], Mapped[dict[str, Any]]).
    dict[str, Any]: JSON,
    list[str]: JSON,
    int: BigInteger().with_variant(Integer(), "sqlite"),
}
