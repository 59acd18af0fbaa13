"""Password rules per population (seeds 000 and 001; citizen rules of seed 004), set by the
operator.

Built-in defaults:
- portal (PIGP): 8 to 20 characters, at least 2 letters, 2 digits and 1 special or accented
  character; expires after 12 months;
- citizen: at least 8 characters with an upper-case letter, a lower-case letter and a digit;
  never expires;
- technical: at least 16 characters; expires after one year.
In every population the last 5 passwords cannot be chosen again.

An operator changes them with a TOML file named by IDP_PASSWORD_POLICIES_FILE, one table per
population, any of the PasswordPolicy fields (example: docs/password-policies.toml):

    [portal]
    min_length = 10
    lifetime_days = 180   # 0: never expires
    max_length = 0        # 0: no maximum
"""

from __future__ import annotations

import dataclasses
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sitekit.settings import SettingError
from sitekit.texts import N_, Text

DAY = 86400
YEAR = 365 * DAY
POPULATIONS = ("portal", "citizen", "technical")


def _letters(p: str) -> int:
    return sum(1 for c in p if c.isalpha() and c.isascii())


def _digits(p: str) -> int:
    return sum(1 for c in p if c.isdigit())


def _specials_or_accented(p: str) -> int:
    return sum(1 for c in p if not c.isascii() or not c.isalnum())


def _at_least(measure: Callable[[str], int], count: int) -> Callable[[str], bool]:
    return lambda p: measure(p) >= count


@dataclass(frozen=True)
class Rule:
    message: Text  # message id (with its values), shown translated
    holds: Callable[[str], bool]


@dataclass(frozen=True)
class PasswordPolicy:
    population: str
    min_length: int = 8
    max_length: int | None = None
    min_letters: int = 0  # ASCII letters
    min_digits: int = 0
    min_specials: int = 0  # special or accented characters
    upper_case: bool = False
    lower_case: bool = False
    digit: bool = False
    lifetime_days: int | None = None  # None: never expires
    history: int = 5  # how many previous passwords cannot be chosen again

    @cached_property
    def rules(self) -> tuple[Rule, ...]:
        low, high = self.min_length, self.max_length
        rules = [Rule(Text(N_("Between {min} and {max} characters"), min=low, max=high),
                      lambda p: low <= len(p) <= high) if high is not None else
                 Rule(Text(N_("At least {min} characters"), min=low), lambda p: len(p) >= low)]
        for count, one, many, measure in (
            (self.min_letters, N_("At least 1 letter"), N_("At least {n} letters"), _letters),
            (self.min_digits, N_("At least 1 digit"), N_("At least {n} digits"), _digits),
            (self.min_specials, N_("At least 1 special or accented character"),
             N_("At least {n} special or accented characters"), _specials_or_accented),
        ):
            if count:
                rules.append(Rule(Text(one if count == 1 else many, n=count),
                                  _at_least(measure, count)))
        if self.upper_case:
            rules.append(Rule(Text(N_("At least one upper-case letter")),
                              lambda p: any(c.isupper() for c in p)))
        if self.lower_case:
            rules.append(Rule(Text(N_("At least one lower-case letter")),
                              lambda p: any(c.islower() for c in p)))
        if self.digit:
            rules.append(Rule(Text(N_("At least one digit")),
                              lambda p: any(c.isdigit() for c in p)))
        return tuple(rules)

    @property
    def lifetime(self) -> int | None:
        return None if self.lifetime_days is None else self.lifetime_days * DAY

    def failures(self, password: str) -> list[Text]:
        """Messages of the rules the password breaks (empty: acceptable)."""
        password = unicodedata.normalize("NFC", password)
        return [rule.message for rule in self.rules if not rule.holds(password)]

    def expires_at(self, changed_at: int | None) -> int | None:
        if self.lifetime is None or changed_at is None:
            return None
        return changed_at + self.lifetime


DEFAULTS = {
    "portal": PasswordPolicy("portal", min_length=8, max_length=20, min_letters=2,
                             min_digits=2, min_specials=1, lifetime_days=365),
    "citizen": PasswordPolicy("citizen", min_length=8, upper_case=True, lower_case=True,
                              digit=True),
    "technical": PasswordPolicy("technical", min_length=16, lifetime_days=365),
}


class PasswordPolicies:
    """The policy of each population: the defaults, changed by the operator's file."""

    def __init__(self, policies: dict[str, PasswordPolicy] | None = None) -> None:
        self.by_population = dict(policies or DEFAULTS)

    def __call__(self, population: str) -> PasswordPolicy:
        return self.by_population.get(population, self.by_population["portal"])

    @classmethod
    def load(cls, path: str | None) -> PasswordPolicies:
        """Defaults when `path` is empty; a one-line SettingError for any mistake in the file."""
        if not path:
            return cls()
        source = f"IDP_PASSWORD_POLICIES_FILE={path}"
        try:
            document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingError(f"{source}: cannot read: {exc}") from exc
        policies = dict(DEFAULTS)
        fields = {f.name for f in dataclasses.fields(PasswordPolicy)} - {"population"}
        for population, values in document.items():
            if population not in POPULATIONS or not isinstance(values, dict):
                raise SettingError(f"{source}: unknown population [{population}] "
                                   f"(expected one of {', '.join(POPULATIONS)})")
            unknown = values.keys() - fields
            if unknown:
                names = ", ".join(sorted(unknown))
                raise SettingError(f"{source}: [{population}] unknown keys: {names}")
            # TOML has no null: 0 means "no maximum" / "never expires".
            values = {k: (None if k in ("max_length", "lifetime_days") and v == 0 else v)
                      for k, v in values.items()}
            policy = dataclasses.replace(policies[population], **values)
            _validate(path, policy)
            policies[population] = policy
        return cls(policies)


def _validate(path: str, policy: PasswordPolicy) -> None:
    where = f"IDP_PASSWORD_POLICIES_FILE={path}: [{policy.population}]"
    for name in ("min_length", "min_letters", "min_digits", "min_specials", "history"):
        value = getattr(policy, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise SettingError(f"{where} {name} must be a whole number ≥ 0")
    for name in ("upper_case", "lower_case", "digit"):
        if not isinstance(getattr(policy, name), bool):
            raise SettingError(f"{where} {name} must be true or false")
    if policy.min_length < 8:
        raise SettingError(f"{where} min_length must be at least 8 (ANSSI, NIST SP 800-63B)")
    if policy.max_length is not None and (not isinstance(policy.max_length, int)
                                          or policy.max_length < policy.min_length):
        raise SettingError(f"{where} max_length must be a whole number ≥ min_length")
    if policy.lifetime_days is not None and (not isinstance(policy.lifetime_days, int)
                                             or policy.lifetime_days <= 0):
        raise SettingError(f"{where} lifetime_days must be a whole number > 0 (or left out)")
