"""An account's postal address: the structured `address` claim of OIDC Core §5.1.1.

Stored as its components (one column each); `formatted` is composed from them, French style
(street lines, then postal code and locality, then region and country), newline-separated
as §5.1.1 says.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any


class InvalidText(ValueError):
    """A text (address component or other account field) that cannot be stored, with a
    message naming its option."""


@dataclass(frozen=True)
class Component:
    field: str  # attribute of the account and member of the claim
    label: str  # how the operator names it (the command-line option)
    max_length: int
    multiline: bool = False


COMPONENTS = (
    # street_address MAY hold several lines (house number, street, building) separated by "\n".
    Component("street_address", "--street-address", 255, multiline=True),
    Component("postal_code", "--postal-code", 16),
    Component("locality", "--locality", 128),
    Component("region", "--region", 128),
    Component("country", "--country", 64),
)
FIELDS = tuple(c.field for c in COMPONENTS)
MAX_STREET_LINES = 4


def clean_component(component: Component, value: str) -> str | None:
    """The value to store (None: none), or InvalidText saying what is wrong."""
    if component.multiline:
        value = value.replace("\r\n", "\n")
        lines = [line.strip() for line in value.split("\n")]
        lines = [line for line in lines if line]
        if len(lines) > MAX_STREET_LINES:
            raise InvalidText(
                f"{component.label}: at most {MAX_STREET_LINES} lines, got {len(lines)}")
        value = "\n".join(lines)
    else:
        value = value.strip()
    for char in value:
        if char == "\n" and component.multiline:
            continue
        # NUL, other control characters, lone surrogates, unassigned code points.
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise InvalidText(
                f"{component.label}: character U+{ord(char):04X} is not allowed "
                "(letters, digits, spaces and punctuation only)")
    if len(value) > component.max_length:
        raise InvalidText(
            f"{component.label}: at most {component.max_length} characters, got {len(value)}")
    return value or None


def clean_address(values: dict[str, str | None]) -> dict[str, str | None]:
    """Check the given components (keys of FIELDS; a value None is left out, "" clears)."""
    by_field = {c.field: c for c in COMPONENTS}
    return {name: clean_component(by_field[name], value)
            for name, value in values.items() if value is not None}


def address_claim(account: Any) -> dict[str, str] | None:
    """The `address` claim (§5.1.1) of an account, None when it has no address."""
    parts = {name: getattr(account, name) for name in FIELDS}
    claim = {name: value for name, value in parts.items() if value}
    if not claim:
        return None
    town = " ".join(p for p in (parts["postal_code"], parts["locality"]) if p)
    lines = [parts["street_address"], town, parts["region"], parts["country"]]
    claim["formatted"] = "\n".join(line for line in lines if line)
    return claim
