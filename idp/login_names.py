"""The names an account logs in with (seed 001, "Authentification"): "Saisir la partie gauche
(avant l'@) de l'adresse mél ou l'identifiant "-xt" pour les utilisateurs externes".

An account answers to
- its identifier (`username`, e.g. ``jdurand-xt``);
- its whole e-mail address;
- the left part of that address (before the @), when the address is in one of the
  operator's agent domains (`IDP_AGENT_EMAIL_DOMAINS`).

Every name is compared in its normalised form (Unicode NFKC, case folded, surrounding
spaces removed, UAX #15 and Unicode §5.18), so ``JDurand-XT`` is ``jdurand-xt``. No two accounts
may share a normalised name, whatever its kind: the table ``login_names`` holds each one
under a unique key (storage/repositories/accounts.py keeps it in step with the accounts).

Pure functions: no storage, no settings object.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

IDENTIFIER = "identifier"
EMAIL = "email"
AGENT = "agent"  # left part of an address in an agent domain
# When one account's names coincide (identifier "jdurand", address "jdurand@agents.fr"),
# the name is kept once, under the first kind of this order.
KINDS = (IDENTIFIER, EMAIL, AGENT)
MAX_LENGTH = 320  # of a normalised name (an e-mail address has at most 320 characters)
KIND_LABELS = {IDENTIFIER: "identifier", EMAIL: "e-mail address",
               AGENT: "left part of an agent e-mail address"}


def normalise(value: str) -> str:
    """NFKC, then case folding, then NFKC again (folding can denormalise), then strip."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return unicodedata.normalize("NFKC", folded).strip()


def parse_domains(setting: str) -> frozenset[str]:
    """`IDP_AGENT_EMAIL_DOMAINS`: comma-separated domains, "@" before each one optional."""
    return frozenset(normalise(d).removeprefix("@") for d in setting.split(",")
                     if d.strip())


def domains_problem(setting: str) -> str | None:
    """Why the setting is not a list of domains, or None."""
    for domain in parse_domains(setting):
        if "@" in domain or "." not in domain or any(c.isspace() for c in domain):
            return f"{domain!r} is not a domain name (expected e.g. agents.gouv.fr)"
    return None


def serialise_domains(domains: Iterable[str]) -> str:
    return ",".join(sorted(domains))


def names_of(username: str, email: str | None, domains: frozenset[str]) -> dict[str, str]:
    """{normalised name: kind} of one account, in the order of KINDS."""
    names = {normalise(username): IDENTIFIER}
    if email and normalise(email):
        address = normalise(email)
        names.setdefault(address, EMAIL)
        left, at, domain = address.rpartition("@")
        if at and left and domain in domains:
            names.setdefault(left, AGENT)
    return names


def throttle_name(typed: str, domains: frozenset[str]) -> str:
    """The name failures of an unknown login are counted under: an address in an agent domain
    counts with its left part, as it would for an account (no hint that none exists)."""
    name = normalise(typed)
    left, at, domain = name.rpartition("@")
    return left if at and left and domain in domains else name


@dataclass(frozen=True)
class Clash:
    """`name` should be one of `account`'s names (as `kind`), but `holder` has it (as
    `holder_kind`); `account` cannot log in with it."""

    name: str
    kind: str
    account: str
    holder: str
    holder_kind: str

    def describe(self) -> str:
        return (f"{self.name!r}, {KIND_LABELS[self.kind]} of account {self.account!r}, is "
                f"already the {KIND_LABELS[self.holder_kind]} of account {self.holder!r}: "
                f"{self.account!r} cannot log in with it")


@dataclass(frozen=True)
class Plan:
    delete: list[str]  # names whose row goes
    insert: list[tuple[str, int, str]]  # (name, account id, kind)
    clashes: list[Clash]


def plan(accounts: Iterable[tuple[int, str, str | None]],
         existing: dict[str, tuple[int, str]], domains: frozenset[str]) -> Plan:
    """Bring the table of names (`existing`: name -> (account id, kind)) in line with the
    `accounts` (id, username, email) under `domains`. A row that is still right stays, so a
    change of domains never takes a name from the account that has it; new names go by kind
    (identifiers first, then addresses, then agent left parts), then to the oldest account;
    a name already taken is reported, never shared."""
    usernames: dict[int, str] = {}
    expected: dict[int, dict[str, str]] = {}
    for account_id, username, email in accounts:
        usernames[account_id] = username
        expected[account_id] = names_of(username, email, domains)
    delete = [name for name, (owner, kind) in existing.items()
              if expected.get(owner, {}).get(name) != kind]
    gone = set(delete)
    held = {name: row for name, row in existing.items() if name not in gone}
    insert: list[tuple[str, int, str]] = []
    clashes: list[Clash] = []
    wanted = sorted(((KINDS.index(kind), account_id, name, kind)
                     for account_id, names in expected.items()
                     for name, kind in names.items()))
    for _, account_id, name, kind in wanted:
        holder = held.get(name)
        if holder is None:
            held[name] = (account_id, kind)
            insert.append((name, account_id, kind))
        elif holder[0] != account_id:
            clashes.append(Clash(name, kind, usernames[account_id],
                                 usernames.get(holder[0], f"#{holder[0]}"), holder[1]))
    return Plan(delete, insert, clashes)
