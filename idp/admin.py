"""Operator actions shared by the command line, the demo and the tests (no HTTP)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from idp import login_names
from idp.accounts import address, throttling
from idp.accounts.citizens import pivot_columns
from idp.accounts.passwords import Passwords
from idp.accounts.policy import POPULATIONS, PasswordPolicy
from idp.federation.pivot import PivotIdentity, PivotInvalid, validate_pivot
from idp.oidc.clients import (
    AUTH_METHODS,
    CONSENT_MODES,
    GRANT_TYPES,
    hash_secret,
    scope_problem,
    uri_problem,
)
from idp.storage.models import Account, Client
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import clients as clients_repo
from idp.storage.repositories import federation_links as links_repo
from idp.storage.repositories import second_factor as second_factor_repo
from idp.storage.repositories import throttle as throttle_repo
from sitekit.storage.database import Database

if TYPE_CHECKING:
    from idp.audit import AuditLog

ONE_YEAR = 365 * 86400


class AdminError(Exception):
    """A refused operator action, with a message for the terminal."""


@dataclass(frozen=True)
class NewClient:
    client: dict[str, Any]
    secret: str | None


def client_as_dict(c: Client) -> dict[str, Any]:
    return {
        "client_id": c.client_id,
        "name": c.name,
        "token_endpoint_auth_method": c.token_endpoint_auth_method,
        "redirect_uris": list(c.redirect_uris),
        "post_logout_redirect_uris": list(c.post_logout_redirect_uris),
        "grant_types": list(c.grant_types),
        "scope": c.scope,
        "audience": list(c.audience),
        "jwks_uri": c.jwks_uri,
        "id_token_signed_response_alg": c.id_token_signed_response_alg,
        "introspection_signed_response_alg": c.introspection_signed_response_alg,
        "userinfo_signed_response_alg": c.userinfo_signed_response_alg,
        "backchannel_logout_uri": c.backchannel_logout_uri,
        "account_events_uri": c.account_events_uri,
        "subject_type": c.subject_type,
        "access_rule": c.access_rule,
        "home_url": c.home_url,
        "consent_mode": c.consent_mode,
        "citizen_facing": bool(c.citizen_facing),
        "allowed_providers": None if c.allowed_providers is None else list(c.allowed_providers),
        "secret_expires_at": c.secret_expires_at,
        # RFC 7591: the application that registered it (None: the operator).
        "owner_client_id": c.owner_client_id,
        "software_id": c.software_id,
        # What this client may register itself (None: nothing).
        "registration_scope": c.registration_scope,
        "registration_audiences": list(c.registration_audiences or []),
        "registration_max_secret_days": c.registration_max_secret_days,
        "created_at": c.created_at,
    }


def add_client(
    db: Database,
    now: int,
    *,
    client_id: str,
    redirect_uris: list[str],
    name: str | None = None,
    post_logout_redirect_uris: list[str] | None = None,
    auth_method: str = "client_secret_basic",
    grant_types: list[str] | None = None,
    scope: str = "openid profile email",
    audience: list[str] | None = None,
    jwks_uri: str | None = None,
    jwks: dict[str, Any] | None = None,
    id_token_alg: str = "RS256",  # noqa: S107 - an algorithm name, not a secret
    introspection_alg: str | None = None,
    userinfo_alg: str | None = None,
    backchannel_logout_uri: str | None = None,
    account_events_uri: str | None = None,
    subject_type: str = "public",
    access_rule: str | None = None,
    home_url: str | None = None,
    secret: str | None = None,
    secret_lifetime: int | None = None,
    consent_mode: str = "explicit",
    citizen_facing: bool = False,
    allowed_providers: list[str] | None = None,
) -> NewClient:
    """``allowed_providers``: the FIs its users may log in with (checked by
    admin_providers.check_allowed_providers); None: every FI."""
    grant_types = grant_types or ["authorization_code", "refresh_token"]
    _check_consent_mode(consent_mode)
    if scope.strip():
        _check_scope(scope)
    if auth_method not in AUTH_METHODS:
        raise AdminError(f"unknown auth method {auth_method!r}; choose one of {AUTH_METHODS}")
    for grant_type in grant_types:
        if grant_type not in GRANT_TYPES:
            raise AdminError(f"unknown grant type {grant_type!r}; choose among {GRANT_TYPES}")
    if "authorization_code" in grant_types and not redirect_uris:
        raise AdminError("a client using authorization_code needs at least one --redirect-uri")
    for uri in [*redirect_uris, *(post_logout_redirect_uris or [])]:
        _check_uri(uri)
    for event_uri in (backchannel_logout_uri, account_events_uri):
        if event_uri is not None:
            _check_uri(event_uri)
    if auth_method == "none" and "client_credentials" in grant_types:
        raise AdminError("a public client (auth method none) cannot use client_credentials")
    if auth_method == "private_key_jwt" and not (jwks_uri or jwks):
        raise AdminError("private_key_jwt needs --jwks-uri (or inline keys)")
    if subject_type not in ("public", "pairwise"):
        raise AdminError("subject type must be public or pairwise")
    if id_token_alg not in ("RS256", "ES256"):
        raise AdminError("ID token algorithm must be RS256 or ES256")
    if introspection_alg not in (None, "RS256", "ES256"):
        raise AdminError("introspection answer algorithm must be RS256 or ES256")
    if userinfo_alg not in (None, "RS256", "ES256"):
        raise AdminError("userinfo answer algorithm must be RS256 or ES256")
    if auth_method in ("client_secret_basic", "client_secret_post"):
        secret = secret or secrets.token_urlsafe(32)
    else:
        secret = None
    row = Client(
        client_id=client_id,
        name=name or client_id,
        secret_hash=hash_secret(secret) if secret else None,
        secret_expires_at=now + secret_lifetime if secret and secret_lifetime else None,
        token_endpoint_auth_method=auth_method,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris or [],
        grant_types=grant_types,
        scope=scope,
        audience=audience or [],
        jwks_uri=jwks_uri,
        jwks=jwks,
        id_token_signed_response_alg=id_token_alg,
        introspection_signed_response_alg=introspection_alg,
        userinfo_signed_response_alg=userinfo_alg,
        backchannel_logout_uri=backchannel_logout_uri,
        account_events_uri=account_events_uri,
        subject_type=subject_type,
        access_rule=access_rule,
        home_url=home_url,
        consent_mode=consent_mode,
        citizen_facing=citizen_facing,
        allowed_providers=allowed_providers,
        created_at=now,
        updated_at=now,
    )
    with db.transaction() as s:
        try:
            clients_repo.add_client(s, row)
        except clients_repo.DuplicateClient:
            raise AdminError(f"client {client_id!r} already exists") from None
        data = client_as_dict(row)
    return NewClient(data, secret)


# What `idp clients update` may change, and how an empty value reads: "" clears an optional
# URI or algorithm, [""] an optional list. The client_id, the subject type (it would change
# every `sub` the application knows) and the kind of authentication (secret, keys, none)
# cannot change: register a new client.
CLEARED = ""
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
ALGORITHMS = ("RS256", "ES256")
ACCESS_RULE_KINDS = ("group", "population", "attribute")
# The account attributes an `attribute:NAME` rule may name (a column holding a value).
RULE_ATTRIBUTES = ("siret", "email", "phone_number", "given_name", "family_name", "birthdate",
                   "usage_name", "identity_hash")
MAX_SECRET_DAYS = 3650


def update_client(
    db: Database,
    now: int,
    client_id: str,
    *,
    name: str | None = None,
    scope: str | None = None,
    redirect_uris: list[str] | None = None,
    post_logout_redirect_uris: list[str] | None = None,
    grant_types: list[str] | None = None,
    auth_method: str | None = None,
    audience: list[str] | None = None,
    jwks_uri: str | None = None,
    id_token_alg: str | None = None,
    introspection_alg: str | None = None,
    userinfo_alg: str | None = None,
    backchannel_logout_uri: str | None = None,
    home_url: str | None = None,
    access_rule: str | None = None,
    secret_lifetime_days: int | None = None,
    consent_mode: str | None = None,
    citizen_facing: bool | None = None,
    allowed_providers: list[str] | None = None,
    account_events_uri: str | None = None,
    registration_scope: str | None = None,
    registration_audiences: list[str] | None = None,
    registration_max_secret_days: int | None = None,
    audit: AuditLog | None = None,
) -> dict[str, Any]:
    """Change a registered client's fields; None leaves a field as it is. Every value is
    checked before anything is written, then the client as it would be (a code-flow client
    keeps a redirect URI, private_key_jwt its keys...). ``allowed_providers``: the FIs its
    users may log in with (checked by admin_providers.check_allowed_providers), [] for every
    FI. An empty string clears an optional URI, algorithm or the access rule; an empty list
    clears the post-logout URIs and the audience. ``secret_lifetime_days``: the current
    secret expires that many days from ``now`` (0: never).

    The registration policy (RFC 7591, oidc/client_registration.py) of an application holding the
    ``registration`` scope: ``registration_scope``, the scopes the clients it registers may
    have ("" : it may register none); ``registration_audiences``, their possible audiences;
    ``registration_max_secret_days``, the longest lifetime of their secrets (0: no limit).

    The change is audited (``client.updated``, the names of the changed fields, never a
    value) in its transaction when ``audit`` is given, and bumps ``clients_version`` so every
    process drops its cached copy within about a second."""
    given = {k: v for k, v in {
        "name": name, "scope": scope, "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": post_logout_redirect_uris, "grant_types": grant_types,
        "auth_method": auth_method, "audience": audience, "jwks_uri": jwks_uri,
        "id_token_alg": id_token_alg, "introspection_alg": introspection_alg,
        "userinfo_alg": userinfo_alg, "backchannel_logout_uri": backchannel_logout_uri,
        "home_url": home_url, "access_rule": access_rule,
        "secret_lifetime_days": secret_lifetime_days, "consent_mode": consent_mode,
        "citizen_facing": citizen_facing, "allowed_providers": allowed_providers,
        "account_events_uri": account_events_uri, "registration_scope": registration_scope,
        "registration_audiences": registration_audiences,
        "registration_max_secret_days": registration_max_secret_days}.items() if v is not None}
    if not given:
        raise AdminError("nothing to change: give at least one option")
    if registration_scope:
        _check_scope(registration_scope)
    for one in [*(registration_audiences or []), *(audience or [])]:
        _check_audience(one)
    if registration_max_secret_days is not None and not (
            0 <= registration_max_secret_days <= MAX_SECRET_DAYS):
        raise AdminError("the longest secret lifetime is 0 (no limit) to 3650 days")
    if secret_lifetime_days is not None and not 0 <= secret_lifetime_days <= MAX_SECRET_DAYS:
        raise AdminError("a secret lifetime is 0 (never expires) to 3650 days")
    if name is not None and not (0 < len(name.strip()) <= 255 and name.isprintable()):
        raise AdminError("the name must be 1 to 255 printable characters")
    if scope is not None:
        _check_scope(scope)
    if consent_mode is not None:
        _check_consent_mode(consent_mode)
    for uri in [*(redirect_uris or []), *(post_logout_redirect_uris or []),
                *(u for u in (account_events_uri, jwks_uri, backchannel_logout_uri, home_url)
                  if u)]:
        _check_uri(uri)
    for grant_type in grant_types or []:
        if grant_type not in GRANT_TYPES:
            raise AdminError(f"unknown grant type {grant_type[:40]!r}; choose among "
                             f"{', '.join(GRANT_TYPES)}")
    if grant_types is not None and not grant_types:
        raise AdminError("a client needs at least one --grant-type")
    if auth_method is not None and auth_method not in SECRET_METHODS:
        raise AdminError("the auth method can only change between client_secret_basic and "
                         "client_secret_post; register a new client for another kind")
    if id_token_alg is not None and id_token_alg not in ALGORITHMS:
        raise AdminError("ID token algorithm must be RS256 or ES256")
    for label, alg in (("introspection", introspection_alg), ("userinfo", userinfo_alg)):
        if alg not in (None, CLEARED, *ALGORITHMS):
            raise AdminError(f"{label} answer algorithm must be RS256 or ES256 ('' : JSON)")
    if access_rule:
        check_access_rule(access_rule)
    with db.transaction() as s:
        row = clients_repo.get_client(s, client_id)
        if row is None:
            raise AdminError(f"no client {quoted(client_id)}")
        if auth_method is not None and row.token_endpoint_auth_method not in SECRET_METHODS:
            raise AdminError(f"client {quoted(client_id)} authenticates with "
                             f"{row.token_endpoint_auth_method}: it has no secret; register a "
                             "new client to change that")
        if secret_lifetime_days is not None and row.secret_hash is None:
            raise AdminError(f"client {quoted(client_id)} has no secret: "
                             "--secret-lifetime-days does not apply")
        _apply_client_changes(row, now, given)
        _check_client_consistency(row)
        row.updated_at = now
        s.flush()
        clients_repo.bump_version(s)
        if audit is not None:
            # Which fields changed, never their values (a URI may carry a token).
            audit.write(s, "client.updated", client_id=client_id, by="operator",
                        fields=sorted(given))
        return client_as_dict(row)


def _apply_client_changes(row: Client, now: int, given: dict[str, Any]) -> None:
    def optional(value: str) -> str | None:
        return value or None

    setters: dict[str, Any] = {
        "name": lambda v: setattr(row, "name", v.strip()),
        "scope": lambda v: setattr(row, "scope", " ".join(v.split())),
        "redirect_uris": lambda v: setattr(row, "redirect_uris", list(v)),
        "post_logout_redirect_uris": lambda v: setattr(
            row, "post_logout_redirect_uris", [u for u in v if u]),
        "grant_types": lambda v: setattr(row, "grant_types", list(dict.fromkeys(v))),
        "auth_method": lambda v: setattr(row, "token_endpoint_auth_method", v),
        "audience": lambda v: setattr(row, "audience", list(dict.fromkeys(a for a in v if a))),
        "jwks_uri": lambda v: setattr(row, "jwks_uri", optional(v)),
        "id_token_alg": lambda v: setattr(row, "id_token_signed_response_alg", v),
        "introspection_alg": lambda v: setattr(
            row, "introspection_signed_response_alg", optional(v)),
        "userinfo_alg": lambda v: setattr(row, "userinfo_signed_response_alg", optional(v)),
        "backchannel_logout_uri": lambda v: setattr(row, "backchannel_logout_uri", optional(v)),
        "home_url": lambda v: setattr(row, "home_url", optional(v)),
        "access_rule": lambda v: setattr(row, "access_rule", optional(" ".join(v.split()))),
        "secret_lifetime_days": lambda v: setattr(
            row, "secret_expires_at", now + v * 86400 if v else None),
        "consent_mode": lambda v: setattr(row, "consent_mode", v),
        "citizen_facing": lambda v: setattr(row, "citizen_facing", v),
        "allowed_providers": lambda v: setattr(row, "allowed_providers", v or None),
        "account_events_uri": lambda v: setattr(row, "account_events_uri", optional(v)),
        "registration_scope": lambda v: setattr(
            row, "registration_scope", " ".join(v.split()) or None),
        "registration_audiences": lambda v: setattr(
            row, "registration_audiences", list(dict.fromkeys(v)) or None),
        "registration_max_secret_days": lambda v: setattr(
            row, "registration_max_secret_days", v or None),
    }
    for name, value in given.items():
        setters[name](value)


def _check_client_consistency(row: Client) -> None:
    """The rules `add_client` checks, on the client as it would be after the change."""
    if "authorization_code" in row.grant_types and not row.redirect_uris:
        raise AdminError("a client using authorization_code needs at least one --redirect-uri")
    if row.token_endpoint_auth_method == "none" and "client_credentials" in row.grant_types:
        raise AdminError("a public client (auth method none) cannot use client_credentials")
    if row.token_endpoint_auth_method == "private_key_jwt" and not (row.jwks_uri or row.jwks):
        raise AdminError("private_key_jwt needs --jwks-uri (or inline keys)")


def check_access_rule(rule: str) -> None:
    """Rules as oidc/checks/entitlement.py reads them: space-separated `group:NAME`,
    `population:NAME` or `attribute:NAME`, any of which admits the account."""
    if len(rule) > 255 or not rule.isprintable():
        raise AdminError("an access rule has at most 255 printable characters")
    for part in rule.split():
        kind, _, value = part.partition(":")
        if kind not in ACCESS_RULE_KINDS or not value:
            raise AdminError(f"invalid access rule {part[:60]!r}: group:NAME, "
                             "population:NAME or attribute:NAME, space-separated")
        if kind == "group":
            check_group(value)
        elif kind == "population" and value not in POPULATIONS:
            raise AdminError(f"invalid access rule {part[:60]!r}: population is one of "
                             f"{', '.join(POPULATIONS)}")
        elif kind == "attribute" and value not in RULE_ATTRIBUTES:
            raise AdminError(f"invalid access rule {part[:60]!r}: attribute is one of "
                             f"{', '.join(RULE_ATTRIBUTES)}")


def check_group(name: str) -> None:
    """A group name as access rules compare it (exactly): 1 to 64 printable characters, no
    space (rules are space-separated)."""
    if not (0 < len(name) <= 64 and name.isprintable()) or any(c.isspace() for c in name):
        raise AdminError(f"invalid group {name[:70]!r}: 1 to 64 printable characters "
                         "without space")


def _check_audience(audience: str) -> None:
    if not (0 < len(audience) <= 255 and audience.isprintable() and " " not in audience):
        raise AdminError(f"invalid audience {audience[:100]!r}: 1 to 255 printable "
                         "characters without space")


@dataclass(frozen=True)
class RotatedSecret:
    client_id: str
    secret: str
    expires_at: int | None


def rotate_client_secret(db: Database, audit: AuditLog, now: int, client_id: str,
                         lifetime_days: int | None = None) -> RotatedSecret:
    """A new 256-bit secret for a client authenticating with one (shown once, stored as its
    SHA-256): the old one is refused at once by every process (``clients_version`` is
    bumped in the same transaction). ``lifetime_days``: None keeps an expiring secret
    expiring (365 days, ONE_YEAR) and a lasting one lasting; 0: never expires.
    Audited ``client.secret_rotated`` (never the secret)."""
    if lifetime_days is not None and not 0 <= lifetime_days <= MAX_SECRET_DAYS:
        raise AdminError("a secret lifetime is 0 (never expires) to 3650 days")
    with db.transaction() as s:
        row = clients_repo.get_client(s, client_id)
        if row is None:
            raise AdminError(f"no client {quoted(client_id)}")
        if row.token_endpoint_auth_method not in SECRET_METHODS:
            raise AdminError(
                f"client {quoted(client_id)} authenticates with "
                f"{row.token_endpoint_auth_method}: it has no secret to rotate"
                + (" (its keys are at its jwks_uri; it rotates them itself)"
                   if row.token_endpoint_auth_method == "private_key_jwt" else
                   " (a public client proves itself with PKCE)"))
        secret = secrets.token_urlsafe(32)  # 256 bits
        if lifetime_days is None:
            expires_at = now + ONE_YEAR if row.secret_expires_at else None
        else:
            expires_at = now + lifetime_days * 86400 if lifetime_days else None
        row.secret_hash = hash_secret(secret)
        row.secret_expires_at = expires_at
        row.updated_at = now
        s.flush()
        clients_repo.bump_version(s)
        audit.write(s, "client.secret_rotated", client_id=client_id, by="operator",
                    expires_at=expires_at or 0)
    return RotatedSecret(client_id, secret, expires_at)


def quoted(value: str) -> str:
    """A value the operator typed, quoted for an error line: bounded, escapes visible."""
    return repr(value[:100]) + ("…" if len(value) > 100 else "")


def _check_consent_mode(mode: str) -> None:
    if mode not in CONSENT_MODES:
        raise AdminError(f"unknown consent mode {mode!r}; choose one of {', '.join(CONSENT_MODES)}")


def _check_scope(scope: str) -> None:
    problem = scope_problem(scope)
    if problem:
        raise AdminError(problem)


def _check_uri(uri: str) -> None:
    problem = uri_problem(uri)
    if problem:
        raise AdminError(problem)


def account_as_dict(a: Account) -> dict[str, Any]:
    return {
        "username": a.username,
        "subject": a.subject,
        "population": a.population,
        "email": a.email,
        "given_name": a.given_name,
        "family_name": a.family_name,
        "phone_number": a.phone_number,
        "siret": a.siret,
        "groups": list(a.groups or []),
        "address": address.address_claim(a),
        # The pivot identity (idp/federation/pivot.py); None without one.
        "usage_name": a.usage_name,
        "birthdate": a.birthdate,
        "gender": a.gender,
        "birthplace": a.birthplace,
        "birthcountry": a.birthcountry,
        "disabled": a.disabled,
        "created_at": a.created_at,
        "last_login_at": a.last_login_at,
    }


def add_user(
    db: Database,
    passwords: Passwords,
    now: int,
    *,
    username: str,
    password: str,
    email: str | None = None,
    given_name: str | None = None,
    family_name: str | None = None,
    phone: str | None = None,
    siret: str | None = None,
    groups: list[str] | None = None,
    population: str = "portal",
    postal_address: dict[str, str | None] | None = None,
    identity: PivotIdentity | None = None,
) -> dict[str, Any]:
    """``postal_address``: components named as in address.FIELDS. ``identity`` (see
    ``pivot_identity``): its names replace ``given_name`` and ``family_name``."""
    if not username or len(username) > 255:
        raise AdminError("a username of 1 to 255 characters is required")
    _check_text({"username": username, "email": email, "given_name": given_name,
                 "family_name": family_name, "phone_number": phone})
    _check_siret(siret)
    _check_population(population)
    _check_login_name_lengths(username, email)
    if identity is not None:
        given_name, family_name = identity.given_name, identity.family_name
    account = Account(
        subject=str(uuid.uuid4()),
        username=username,
        password_hash=passwords.hash(password),
        population=population,
        email=email,
        email_verified=bool(email),
        given_name=given_name,
        family_name=family_name,
        phone_number=phone,
        siret=siret,
        groups=groups or [],
        disabled=False,
        created_at=now,
        password_changed_at=now,
        **_clean_address(postal_address or {}),
        **({k: v for k, v in pivot_columns(identity).items()
            if k not in ("given_name", "family_name")} if identity else {}),
    )
    with db.transaction() as s:
        if identity is not None and accounts_repo.find_by_identity_hash(
                s, str(account.identity_hash)) is not None:
            raise AdminError(f"user {username!r} not added: {IDENTITY_TAKEN}")
        try:
            accounts_repo.add_account(s, account)
        except accounts_repo.DuplicateAccount:
            raise AdminError(f"user {username!r} already exists") from None
        except accounts_repo.LoginNameTaken as taken:
            raise AdminError(f"user {username!r} not added: {taken}") from None
        return account_as_dict(account)


def _check_login_name_lengths(username: str, email: str | None) -> None:
    # Normalising (NFKC) can lengthen a name; the table keeps names of at most 320 characters.
    for name in login_names.names_of(username, email, frozenset()):
        if len(name) > login_names.MAX_LENGTH:
            raise AdminError(f"a login name has at most {login_names.MAX_LENGTH} characters "
                             f"once normalised: {name[:40]!r}…")


UPDATABLE = ("username", "email", "given_name", "family_name", "phone_number", "siret",
             "groups", "population", *address.FIELDS)


def update_user(db: Database, login: str, changes: dict[str, Any], *,
                add_groups: list[str] | None = None, remove_groups: list[str] | None = None,
                audit: AuditLog | None = None) -> dict[str, Any]:
    """Change the given fields of an account (not its password: reset-password does that).

    ``login`` is any of the account's login names, in any case. A value None leaves the field
    as it is; "" clears it (an empty list clears the groups). A new username or e-mail is
    refused when it, or its agent left part, is another account's login name (seed 001).
    ``add_groups`` and ``remove_groups`` change the groups access rules read (`group:NAME`,
    compared exactly) without retyping the others. With ``audit``, the change is audited
    (``account.updated_by_operator``: the names of the fields and the groups, no value).
    """
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise AdminError(f"cannot update {', '.join(sorted(unknown))}")
    given = {name: value for name, value in changes.items() if value is not None}
    if not given and not add_groups and not remove_groups:
        raise AdminError("nothing to update: give at least one field to change")
    if "groups" in given and (add_groups or remove_groups):
        raise AdminError("--group replaces the list: do not mix it with --add-group or "
                         "--remove-group")
    for group in [*given.get("groups", []), *(add_groups or []), *(remove_groups or [])]:
        check_group(group)
    if "groups" in given:
        given["groups"] = list(dict.fromkeys(given["groups"]))
    if "siret" in given:
        given["siret"] = given["siret"] or None
        _check_siret(given["siret"])
    if "population" in given:
        _check_population(given["population"])
    for name in TEXT_FIELDS:
        if name in given:
            given[name] = given[name].strip() or None
    if "username" in given and not given["username"]:
        raise AdminError("a username of 1 to 255 characters is required")
    _check_text({name: given.get(name) for name in TEXT_FIELDS})
    _check_login_name_lengths(given.get("username") or "", given.get("email"))
    given.update(_clean_address({k: given.pop(k) for k in address.FIELDS if k in given}))
    new_username = given.pop("username", None)
    email_given, email = "email" in given, given.pop("email", None)
    with db.transaction() as s:
        account = accounts_repo.find_by_login(s, login)
        if account is None:
            raise AdminError(f"no user {quoted(login)}")
        current = account.username
        for name, value in given.items():
            setattr(account, name, value)
        if add_groups or remove_groups:
            kept = [g for g in account.groups or [] if g not in (remove_groups or [])]
            account.groups = list(dict.fromkeys([*kept, *(add_groups or [])]))
        try:
            if new_username is not None:
                accounts_repo.set_username(s, account.id, new_username)
            if email_given:  # set by the operator: verified, as add_user does
                accounts_repo.set_email(s, account.id, email)
        except accounts_repo.DuplicateAccount:
            raise AdminError(f"user {new_username!r} already exists") from None
        except accounts_repo.LoginNameTaken as taken:
            raise AdminError(f"user {current!r} not updated: {taken}") from None
        s.flush()
        if audit is not None:
            audit.write(s, "account.updated_by_operator", account_id=account.id,
                        fields=sorted({*given, *(["username"] if new_username else []),
                                       *(["email"] if email_given else [])}),
                        groups_added=sorted(set(add_groups or [])),
                        groups_removed=sorted(set(remove_groups or [])))
        return account_as_dict(account)


def set_disabled(db: Database, audit: AuditLog, login: str, disabled: bool) -> bool:
    """Disable or enable an account (audited ``account.disabled_by_operator`` or
    ``account.enabled_by_operator``, in the same transaction); whether it changed."""
    with db.transaction() as s:
        account = accounts_repo.find_by_login(s, login)
        if account is None:
            raise AdminError(f"no user {quoted(login)}")
        changed = bool(account.disabled) != disabled
        accounts_repo.set_disabled(s, account.id, disabled)
        audit.write(s, "account.disabled_by_operator" if disabled
                    else "account.enabled_by_operator", account_id=account.id,
                    changed=changed)
        return changed


IDENTITY_TAKEN = "another account has this identity (one person, one account)"


def pivot_identity(claims: dict[str, str | None]) -> PivotIdentity:
    """The pivot identity an operator typed, checked as an identity provider's answer is
    (``validate_pivot``: formats, real birth date, INSEE codes)."""
    try:
        return validate_pivot(claims)
    except PivotInvalid as exc:
        raise AdminError(f"invalid identity: {exc}") from None


def set_identity(db: Database, login: str, identity: PivotIdentity) -> dict[str, Any]:
    """Give the account a pivot identity (its names included), so this hub can state it as an
    identity provider would; refused when another account has the same identity."""
    with db.transaction() as s:
        account = accounts_repo.find_by_login(s, login)
        if account is None:
            raise AdminError(f"no user {quoted(login)}")
        try:
            accounts_repo.set_pivot_identity(s, account.id, pivot_columns(identity))
        except accounts_repo.IdentityTaken:
            raise AdminError(f"user {account.username!r} not updated: {IDENTITY_TAKEN}") \
                from None
        s.refresh(account)
        return account_as_dict(account)


def account_details(s: Any, account: Account, *, now: int | None = None,
                    identifier_key: bytes | None = None,
                    policy: PasswordPolicy | None = None) -> dict[str, Any]:
    """``account_as_dict``, what the assistance desk asks about (its lock after failed
    logins, its two-step verification, its password's expiry) and the identity providers the
    account logs in through. The lock is read with the keys folder's identifier key
    (``KeyStore.identifier_key``: throttle rows are keyed by an HMAC); without it, or
    without ``now``, ``locked_until`` is None and ``lock_known`` False."""
    locked_until = None
    if identifier_key is not None and now is not None:
        row = throttle_repo.get(s, throttling.account_key(identifier_key, account.username))
        if row is not None and row.locked_until and row.locked_until > now:
            locked_until = row.locked_until
    authenticator = second_factor_repo.get(s, account.id)
    has_password = accounts_repo.logs_in_with_password(account.password_hash)
    expires_at = policy.expires_at(account.password_changed_at) if (
        policy is not None and has_password) else None
    return {
        **account_as_dict(account),
        "pending_confirmation": account.pending_until is not None,
        "lock_known": identifier_key is not None and now is not None,
        "locked_until": locked_until,
        "second_factor": None if authenticator is None else {
            "kind": "totp", "enrolled_at": authenticator.created_at,
            "recovery_codes_left": second_factor_repo.remaining_recovery_codes(s, account.id)},
        "password": "set" if has_password else "none",
        "password_changed_at": account.password_changed_at if has_password else None,
        # A reset by the operator stores 0: the password is already expired.
        "password_expires_at": expires_at,
        "password_expired": expires_at is not None and now is not None and expires_at <= now,
        "federation_links": [
            {"provider_id": link.provider_id, "provider_sub": link.provider_sub,
             "first_used_at": link.first_used_at, "last_used_at": link.last_used_at}
            for link in links_repo.links_of_account(s, account.id)],
    }


def _clean_address(values: dict[str, str | None]) -> dict[str, str | None]:
    try:
        return address.clean_address(values)
    except address.InvalidText as exc:
        raise AdminError(str(exc)) from None


# Single-line text fields of an account: (option, longest length, as the columns).
TEXT_FIELDS = {"username": ("--username", 255), "email": ("--email", 320),
               "given_name": ("--given-name", 256), "family_name": ("--family-name", 256),
               "phone_number": ("--phone", 32)}


def _check_text(values: dict[str, str | None]) -> None:
    """No control character (NUL included) and a bounded length in the account's texts."""
    for name, value in values.items():
        if value is not None:
            label, longest = TEXT_FIELDS[name]
            try:
                address.clean_component(address.Component(name, label, longest), value)
            except address.InvalidText as exc:
                raise AdminError(str(exc)) from None


def _check_siret(siret: str | None) -> None:
    if siret is not None and (len(siret) != 14 or not siret.isdigit()):
        raise AdminError("a SIRET has 14 digits")


def _check_population(population: str) -> None:
    if population not in POPULATIONS:
        raise AdminError(f"population must be one of {', '.join(POPULATIONS)}")
