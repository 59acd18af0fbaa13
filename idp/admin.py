"""Operator actions shared by the command line, the demo and the tests (no HTTP)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from idp import login_names
from idp.accounts import address
from idp.accounts.citizens import pivot_columns
from idp.accounts.passwords import Passwords
from idp.accounts.policy import POPULATIONS
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
from sitekit.storage.database import Database

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


def update_client(
    db: Database,
    now: int,
    client_id: str,
    *,
    name: str | None = None,
    scope: str | None = None,
    redirect_uris: list[str] | None = None,
    consent_mode: str | None = None,
    citizen_facing: bool | None = None,
    allowed_providers: list[str] | None = None,
    account_events_uri: str | None = None,
    registration_scope: str | None = None,
    registration_audiences: list[str] | None = None,
    registration_max_secret_days: int | None = None,
) -> dict[str, Any]:
    """Change a registered client's fields; None leaves a field as it is. Every value is
    checked before anything is written. ``allowed_providers``: the FIs its users may log in
    with (checked by admin_providers.check_allowed_providers), [] for every FI.
    ``account_events_uri``: "" stops the account events.

    The registration policy (RFC 7591, oidc/client_registration.py) of an application holding the
    ``registration`` scope: ``registration_scope``, the scopes the clients it registers may
    have ("" : it may register none); ``registration_audiences``, their possible audiences;
    ``registration_max_secret_days``, the longest lifetime of their secrets (0: no limit)."""
    if all(v is None for v in (name, scope, redirect_uris, consent_mode, citizen_facing,
                               allowed_providers, account_events_uri, registration_scope,
                               registration_audiences, registration_max_secret_days)):
        raise AdminError("nothing to change: give at least one option")
    if registration_scope:
        _check_scope(registration_scope)
    for audience in registration_audiences or []:
        if not (0 < len(audience) <= 255 and audience.isprintable() and " " not in audience):
            raise AdminError(f"invalid audience {audience[:100]!r}: 1 to 255 printable "
                             "characters without space")
    if registration_max_secret_days is not None and not (
            0 <= registration_max_secret_days <= 3650):
        raise AdminError("the longest secret lifetime is 0 (no limit) to 3650 days")
    if name is not None and not (0 < len(name.strip()) <= 255 and name.isprintable()):
        raise AdminError("the name must be 1 to 255 printable characters")
    if scope is not None:
        _check_scope(scope)
    if consent_mode is not None:
        _check_consent_mode(consent_mode)
    for uri in redirect_uris or []:
        _check_uri(uri)
    if account_events_uri:
        _check_uri(account_events_uri)
    with db.transaction() as s:
        row = clients_repo.get_client(s, client_id)
        if row is None:
            raise AdminError(f"no client {client_id!r}")
        if redirect_uris is not None:
            if not redirect_uris and "authorization_code" in row.grant_types:
                raise AdminError("a client using authorization_code needs at least one "
                                 "--redirect-uri")
            row.redirect_uris = list(redirect_uris)
        if name is not None:
            row.name = name.strip()
        if scope is not None:
            row.scope = " ".join(scope.split())
        if consent_mode is not None:
            row.consent_mode = consent_mode
        if citizen_facing is not None:
            row.citizen_facing = citizen_facing
        if allowed_providers is not None:
            row.allowed_providers = allowed_providers or None
        if account_events_uri is not None:
            row.account_events_uri = account_events_uri or None
        if registration_scope is not None:
            row.registration_scope = " ".join(registration_scope.split()) or None
        if registration_audiences is not None:
            row.registration_audiences = list(dict.fromkeys(registration_audiences)) or None
        if registration_max_secret_days is not None:
            row.registration_max_secret_days = registration_max_secret_days or None
        row.updated_at = now
        s.flush()
        clients_repo.bump_version(s)
        return client_as_dict(row)


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


def update_user(db: Database, login: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change the given fields of an account (not its password: reset-password does that).

    ``login`` is any of the account's login names, in any case. A value None leaves the field
    as it is; "" clears it (an empty list clears the groups). A new username or e-mail is
    refused when it, or its agent left part, is another account's login name (seed 001).
    """
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise AdminError(f"cannot update {', '.join(sorted(unknown))}")
    given = {name: value for name, value in changes.items() if value is not None}
    if not given:
        raise AdminError("nothing to update: give at least one field to change")
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
            raise AdminError(f"no user {login!r}")
        current = account.username
        for name, value in given.items():
            setattr(account, name, value)
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
        return account_as_dict(account)


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
            raise AdminError(f"no user {login!r}")
        try:
            accounts_repo.set_pivot_identity(s, account.id, pivot_columns(identity))
        except accounts_repo.IdentityTaken:
            raise AdminError(f"user {account.username!r} not updated: {IDENTITY_TAKEN}") \
                from None
        s.refresh(account)
        return account_as_dict(account)


def account_details(s: Any, account: Account) -> dict[str, Any]:
    """``account_as_dict`` and the identity providers the account logs in through."""
    return {**account_as_dict(account), "federation_links": [
        {"provider_id": link.provider_id, "provider_sub": link.provider_sub,
         "first_used_at": link.first_used_at, "last_used_at": link.last_used_at}
        for link in links_repo.links_of_account(s, account.id)]}


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
