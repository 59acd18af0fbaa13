"""Storage failures as the layers above see them (foreign exceptions stop here)."""


class StorageUnavailable(Exception):
    """The database (the account directory) cannot be reached."""
