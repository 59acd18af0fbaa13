"""Password rules per population (seeds 000 and 001; citizen rules of seed 004).

- portal (PIGP): 8 to 20 characters, at least 2 letters, 2 digits and 1 special or accented
  character; expires after 12 months;
- citizen: at least 8 characters with an upper-case letter, a lower-case letter and a digit;
  never expires;
- technical: at least 16 characters; expires after one year.
The last `HISTORY_SIZE` passwords of an account cannot be chosen again.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from idp.texts import N_

HISTORY_SIZE = 5
YEAR = 365 * 86400


def _letters(p: str) -> int:
    return sum(1 for c in p if c.isalpha() and c.isascii())


def _digits(p: str) -> int:
    return sum(1 for c in p if c.isdigit())


def _specials_or_accented(p: str) -> int:
    return sum(1 for c in p if not c.isascii() or not c.isalnum())


@dataclass(frozen=True)
class Rule:
    message: str  # message id, shown translated
    holds: Callable[[str], bool]


@dataclass(frozen=True)
class PasswordPolicy:
    population: str
    rules: tuple[Rule, ...]
    lifetime: int | None  # seconds; None: never expires

    def failures(self, password: str) -> list[str]:
        """Message ids of the rules the password breaks (empty: acceptable)."""
        password = unicodedata.normalize("NFC", password)
        return [rule.message for rule in self.rules if not rule.holds(password)]

    def expires_at(self, changed_at: int | None) -> int | None:
        if self.lifetime is None or changed_at is None:
            return None
        return changed_at + self.lifetime


POLICIES = {
    "portal": PasswordPolicy("portal", (
        Rule(N_("Between 8 and 20 characters"), lambda p: 8 <= len(p) <= 20),
        Rule(N_("At least 2 letters"), lambda p: _letters(p) >= 2),
        Rule(N_("At least 2 digits"), lambda p: _digits(p) >= 2),
        Rule(N_("At least 1 special or accented character"),
             lambda p: _specials_or_accented(p) >= 1),
    ), lifetime=YEAR),
    "citizen": PasswordPolicy("citizen", (
        Rule(N_("At least 8 characters"), lambda p: len(p) >= 8),
        Rule(N_("At least one upper-case letter"), lambda p: any(c.isupper() for c in p)),
        Rule(N_("At least one lower-case letter"), lambda p: any(c.islower() for c in p)),
        Rule(N_("At least one digit"), lambda p: any(c.isdigit() for c in p)),
    ), lifetime=None),
    "technical": PasswordPolicy("technical", (
        Rule(N_("At least 16 characters"), lambda p: len(p) >= 16),
    ), lifetime=YEAR),
}


def policy_for(population: str) -> PasswordPolicy:
    return POLICIES.get(population, POLICIES["portal"])
