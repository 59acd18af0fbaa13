"""What every application's storage shares: the engine and transaction helper
(`database.py`), bounded waits (`timeouts.py`), the failure the layers above see
(`errors.py`), the ORM conventions (`orm.py`) and the Alembic helpers (`migrate.py`).
The only part of sitekit that imports SQLAlchemy (besides the database URL check of
`sitekit/settings.py`)."""
