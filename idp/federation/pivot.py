"""The pivot identity: who a citizen is, as every identity provider (FI) states it.

FranceConnect's six pivot claims (given_name, family_name, birthdate, gender, birthplace,
birthcountry), plus the usage name (`preferred_username`) and the e-mail address, checked
strictly before anything is stored or matched (an FI answer that fails is refused: FC error
Y600006). Pure functions, no I/O.

Choices, each stricter than "as sent":

- Text is NFC-normalised and stripped; control, format (bidi overrides, zero-width),
  private-use, unassigned and line/paragraph-separator characters are refused.
- Presumed birth dates `YYYY-MM-00` and `YYYY-00-00` become `-01` (FC passes them on so);
  `YYYY-00-DD` with a day is not a date and is refused.
- Born abroad (birthcountry not 99100) with a birthplace: refused, not emptied. The field
  must be empty then (FEDERATION.md); an FI that sends one is mistaken about its own data,
  and silently dropping it would hide that.
- `email`: a strict subset of RFC 5322 §3.4.1 addr-spec (ASCII dot-atom local part, a
  domain of LDH labels with at least one dot). Only what is also a valid SMTP mailbox.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

FRANCE = "99100"
GENDERS = ("male", "female")
NAME_MAX = 256
EMAIL_MAX = 254  # RFC 5321 §4.5.3.1.3: a path is at most 256 octets, with its brackets
EARLIEST_BIRTHDATE = datetime.date(1880, 1, 1)

# INSEE COG: a commune is 5 characters (`75107`; Corsica `2A004`, `2B033`); a country 99xxx.
_COMMUNE = re.compile(r"(?:[0-9]{5}|2[AB][0-9]{3})\Z")
_COUNTRY = re.compile(r"99[0-9]{3}\Z")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
# RFC 5322 §3.2.3 atext; §3.4.1 dot-atom local part; domain labels (RFC 1035 §2.3.1).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})+\Z")
# Unicode general categories never in a name: Cc control, Cf format, Cs surrogate, Co private
# use, Cn unassigned, Zl/Zp line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True)
class PivotIdentity:
    given_name: str
    family_name: str
    preferred_username: str | None  # usage name ("nom d'usage")
    birthdate: str  # YYYY-MM-DD, presumed dates already turned into -01
    gender: str  # "male" | "female"
    birthplace: str | None  # INSEE COG commune when born in France, else None
    birthcountry: str  # INSEE COG country, France 99100
    email: str | None

    @property
    def born_in_france(self) -> bool:
        return self.birthcountry == FRANCE


class PivotInvalid(ValueError):
    """A claim of the pivot identity is missing or malformed. The message names the claim and
    the rule, never the value (it is personal data)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def validate_pivot(claims: Mapping[str, object], *,
                   today: datetime.date | None = None) -> PivotIdentity:
    """The pivot identity in `claims` (an FI's ID token or userinfo claims), or PivotInvalid.

    `today` (UTC by default) bounds the birth date. Other claims are ignored.
    """
    if not isinstance(claims, Mapping):
        raise PivotInvalid("claims", "must be an object")
    birthcountry = _code(claims, "birthcountry", _COUNTRY, "must be an INSEE country code 99xxx")
    if birthcountry == FRANCE:
        birthplace: str | None = _code(claims, "birthplace", _COMMUNE,
                                       "must be an INSEE commune code when born in France")
    else:
        if _optional_text(claims, "birthplace", 5) is not None:
            raise PivotInvalid("birthplace", "must be empty when born abroad")
        birthplace = None
    gender = claims.get("gender")
    if gender not in GENDERS:  # exactly, as codes below: no case or space folding
        raise PivotInvalid("gender", "must be male or female")
    assert isinstance(gender, str)
    email = _optional_text(claims, "email", EMAIL_MAX)
    # RFC 5321 §4.5.3.1.1: a local part has at most 64 octets.
    if email is not None and (not _EMAIL.match(email) or email.index("@") > 64):
        raise PivotInvalid("email", "is not an e-mail address")
    return PivotIdentity(
        given_name=_text(claims, "given_name", NAME_MAX),
        family_name=_text(claims, "family_name", NAME_MAX),
        preferred_username=_optional_text(claims, "preferred_username", NAME_MAX),
        birthdate=_birthdate(claims, today or datetime.datetime.now(datetime.UTC).date()),
        gender=gender,
        birthplace=birthplace,
        birthcountry=birthcountry,
        email=email,
    )


def identity_hash(p: PivotIdentity) -> str:
    """SHA-256 (hex) of the normalised pivot, as FranceConnect's identityHash: given_name,
    family_name, birthdate, gender, birthplace when born in France, birthcountry.

    Normalisation, so that two FIs stating one person the same way agree: NFKC, case
    folding, runs of white space collapsed to one space, outer space removed. Accents are
    significant ("Hélène" is not "Helene"): FC hashes the values as the FIs send them
    (RNIPP forms, accented), and a looser match could merge two people into one account,
    which is worse than one person holding two. The fields are encoded as a JSON array, so
    no value can be shifted into the next one.
    """
    fields = [p.given_name, p.family_name, p.birthdate, p.gender,
              p.birthplace if p.born_in_france else "", p.birthcountry]
    normalised = [" ".join(unicodedata.normalize("NFKC", f or "").casefold().split())
                  for f in fields]
    encoded = json.dumps(normalised, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def _text(claims: Mapping[str, object], field: str, max_length: int) -> str:
    value = _optional_text(claims, field, max_length)
    if value is None:
        raise PivotInvalid(field, "is required")
    return value


def _optional_text(claims: Mapping[str, object], field: str, max_length: int) -> str | None:
    """The claim, NFC and stripped; None when absent, null or empty."""
    raw = claims.get(field)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise PivotInvalid(field, "must be a string")
    if len(raw) > 4 * max_length:  # before normalising: bound the work on hostile input
        raise PivotInvalid(field, f"must have at most {max_length} characters")
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in raw):
        raise PivotInvalid(field, "must not contain control or invisible characters")
    value = unicodedata.normalize("NFC", raw).strip()
    if len(value) > max_length:
        raise PivotInvalid(field, f"must have at most {max_length} characters")
    return value or None


def _code(claims: Mapping[str, object], field: str, pattern: re.Pattern[str],
          rule: str) -> str:
    raw = claims.get(field)
    if raw is None or raw == "":
        raise PivotInvalid(field, "is required")
    if not isinstance(raw, str):
        raise PivotInvalid(field, "must be a string")
    if not pattern.match(raw):
        raise PivotInvalid(field, rule)
    return raw


def _birthdate(claims: Mapping[str, object], today: datetime.date) -> str:
    raw = claims.get("birthdate")
    if raw is None or raw == "":
        raise PivotInvalid("birthdate", "is required")
    if not isinstance(raw, str):
        raise PivotInvalid("birthdate", "must be a string")
    parts = _DATE.match(raw)
    if parts is None:
        raise PivotInvalid("birthdate", "must be YYYY-MM-DD")
    year, month, day = (int(p) for p in parts.groups())
    if month == 0 and day != 0:
        raise PivotInvalid("birthdate", "an unknown month needs an unknown day (YYYY-00-00)")
    try:
        # Presumed dates (FEDERATION.md): an unknown month or day is passed on as 01.
        date = datetime.date(year, month or 1, day or 1)
    except ValueError:
        raise PivotInvalid("birthdate", "is not a real date") from None
    if date > today:
        raise PivotInvalid("birthdate", "is in the future")
    if date < EARLIEST_BIRTHDATE:
        raise PivotInvalid("birthdate", "is before 1880")
    return date.isoformat()
