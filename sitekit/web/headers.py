"""Request headers for the hot endpoints (issue 16): Starlette's ``Headers`` whose ``get``,
``[]`` and ``in`` read a dict of each name's first value, built once, instead of scanning the
list (and raising KeyError inside ``Mapping.get`` for a missing name) at every look-up. The
answers are those of ``Headers``: names compared in lower case, the first value of a name."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from starlette.datastructures import Headers


class RequestHeaders(Headers):
    def __init__(self, scope: MutableMapping[str, Any]) -> None:
        super().__init__(scope=scope)
        first: dict[bytes, bytes] = {}
        for name, value in self._list:
            first.setdefault(name, value)
        self._first = first

    def get(self, key: str, default: Any = None) -> Any:
        value = self._first.get(key.lower().encode("latin-1"))
        return default if value is None else value.decode("latin-1")

    def __getitem__(self, key: str) -> str:
        value = self._first.get(key.lower().encode("latin-1"))
        if value is None:
            raise KeyError(key)
        return value.decode("latin-1")

    def __contains__(self, key: Any) -> bool:
        return key.lower().encode("latin-1") in self._first
