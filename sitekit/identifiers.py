"""French business identifiers shared by the applications (pure functions)."""

from __future__ import annotations

import re


def luhn_valid(digits: str) -> bool:
    """The Luhn key over a string of digits (INSEE's key of SIREN and SIRET)."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def valid_siret(siret: str) -> bool:
    """14 digits with a valid Luhn key (INSEE)."""
    return bool(re.fullmatch(r"\d{14}", siret)) and luhn_valid(siret)
