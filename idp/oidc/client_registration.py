"""Dynamic client registration (RFC 7591) and its management protocol (RFC 7592).

An application the operator allowed (scope ``registration`` and a registration policy on its
client: ``idp clients update APP --registration-scopes ... --registration-audience ...
--registration-max-secret-days N``) registers clients it then owns, with an access token of
its own (client_credentials, scope ``registration``). Each registered client also gets a
registration access token (stored hashed) for RFC 7592. Owner isolation: a request about a
client is authorised by that client's registration access token or by a ``registration``
token of its owner; anything else — another application, an unknown client id — gets the
same 401 (RFC 7592 §2: never tell a stranger whether a client id exists).

Extension: ``POST /register/{client_id}/secret`` issues a new secret (the old one is refused
at once by every process: clients_version, oidc/clients.py).

No HTTP here: the web layer (web/client_registration.py) passes the bearer token and the raw body,
and sends the ``Answer`` back.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp.limits import has_control_characters
from idp.oidc.clients import ClientCache, hash_secret, scope_problem, uri_problem
from idp.storage.models import Client
from idp.storage.repositories import clients as clients_repo
from idp.storage.repositories import tokens as tokens_repo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from idp.audit import AuditLog
    from idp.clock import Clock
    from idp.oidc.tokens import TokenService
    from sitekit.storage.database import Database

REGISTRATION_SCOPE = "registration"
MAX_BODY = 32 * 1024  # a JSON body; key sets included
MAX_URIS = 20
MAX_AUDIENCES = 10
MAX_KEYS = 10
# A requested expiry at most this far beyond the longest lifetime is brought back to it (the
# application's clock, or its "now + lifetime", may be a little ahead of the hub's).
CLOCK_SKEW = 60
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
AUTH_METHODS = (*SECRET_METHODS, "private_key_jwt")
# The grant type sets a registered client may have (RFC 7591 §2.1).
GRANT_SETS = (frozenset({"client_credentials"}), frozenset({"authorization_code"}),
              frozenset({"authorization_code", "refresh_token"}))
PRIVATE_KEY_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
# Fields of the client information response a PUT may carry back: ignored (RFC 7592 §2.2).
ECHOED = ("registration_access_token", "registration_client_uri", "client_id_issued_at",
          "client_secret_expires_at")

Answer = tuple[int, dict[str, Any] | None, list[tuple[str, str]]]

NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


class Refused(Exception):
    """An RFC 7591 §3.2.2 error: 400 with ``error`` and ``error_description``."""

    def __init__(self, description: str, error: str = "invalid_client_metadata") -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class Unauthorized(Exception):
    """RFC 6750 §3.1 invalid_token: no token, an invalid or expired one, one without the
    registration scope, or one that does not own the client (the same answer)."""


INVALID_TOKEN = "The access token is invalid, expired, or does not allow this request."


def unauthorized_answer(description: str = INVALID_TOKEN) -> Answer:
    challenge = 'Bearer realm="register", error="invalid_token"'
    return 401, {"error": "invalid_token", "error_description": description}, [
        ("WWW-Authenticate", challenge), *NO_STORE]


@dataclass(frozen=True)
class Owner:
    """An application allowed to register clients, and its policy."""

    client_id: str
    scopes: tuple[str, ...]
    audiences: tuple[str, ...]
    max_secret_days: int | None


@dataclass(frozen=True)
class Metadata:
    """A registration request's metadata, checked against the RFC and the owner's policy."""

    client_name: str | None
    grant_types: list[str]
    auth_method: str
    redirect_uris: list[str]
    scope: str
    audience: list[str]
    jwks: dict[str, Any] | None
    jwks_uri: str | None
    software_id: str | None
    secret_expires_at: int | None  # None: not given (or 0)
    client_secret: str | None  # PUT only: must be the current one


class ClientRegistrations:
    def __init__(self, db: Database, clock: Clock, tokens: TokenService, audit: AuditLog,
                 clients: ClientCache, issuer: str) -> None:
        self.db = db
        self.clock = clock
        self.tokens = tokens
        self.audit = audit
        self.clients = clients
        self.issuer = issuer

    # The endpoints -------------------------------------------------------------------------

    def register(self, token: str | None, content_type: str, body: bytes,
                 ip: str | None = None) -> Answer:
        """RFC 7591 §3.1: POST /register."""
        return self._answer(lambda: self._register(token, content_type, body, ip))

    def read(self, token: str | None, client_id: str) -> Answer:
        """RFC 7592 §2.1: GET /register/{client_id}; never the secret."""
        def run() -> Answer:
            with self.db.read() as s:
                row = self._authorised(s, token, client_id)
                return 200, self._information(row, token), NO_STORE
        return self._answer(run)

    def replace(self, token: str | None, client_id: str, content_type: str, body: bytes,
                ip: str | None = None) -> Answer:
        """RFC 7592 §2.2: PUT /register/{client_id}, a full replacement of the metadata."""
        return self._answer(lambda: self._replace(token, client_id, content_type, body, ip))

    def delete(self, token: str | None, client_id: str, ip: str | None = None) -> Answer:
        """RFC 7592 §2.3: DELETE /register/{client_id}: the client, its grants, refresh tokens
        and consents are gone (foreign keys cascade); its access tokens are refused by
        introspection and userinfo, which no longer find it."""
        def run() -> Answer:
            with self.db.transaction() as s:
                row = self._authorised(s, token, client_id)
                owner = row.owner_client_id
                clients_repo.remove_client(s, client_id)  # bumps clients_version
                self.audit.write(s, "client.deleted", client_id=client_id, ip=ip, owner=owner)
            self.clients.invalidate(client_id)
            return 204, None, NO_STORE
        return self._answer(run)

    def rotate_secret(self, token: str | None, client_id: str, content_type: str, body: bytes,
                      ip: str | None = None) -> Answer:
        """Extension: POST /register/{client_id}/secret, optional body
        {"client_secret_expires_at": N}: a new secret, shown once; the old one is refused
        at once."""
        return self._answer(lambda: self._rotate(token, client_id, content_type, body, ip))

    # Internals -----------------------------------------------------------------------------

    def _answer(self, run: Any) -> Answer:
        try:
            answer: Answer = run()
        except Unauthorized:
            return unauthorized_answer()
        except Refused as refused:
            return 400, {"error": refused.error,
                         "error_description": refused.description}, NO_STORE
        return answer

    def _register(self, token: str | None, content_type: str, body: bytes,
                  ip: str | None) -> Answer:
        now = self.clock.now()
        with self.db.read() as s:
            owner = self._owner(s, token)
        meta = check_metadata(parse_body(content_type, body), owner, now)
        client_id = secrets.token_urlsafe(32)
        secret = secrets.token_urlsafe(32) if meta.auth_method in SECRET_METHODS else None
        registration_token = secrets.token_urlsafe(32)
        row = Client(
            client_id=client_id,
            name=meta.client_name or client_id,
            secret_hash=hash_secret(secret) if secret else None,
            secret_expires_at=self._expiry(meta, owner, now) if secret else None,
            token_endpoint_auth_method=meta.auth_method,
            redirect_uris=meta.redirect_uris,
            post_logout_redirect_uris=[],
            grant_types=meta.grant_types,
            scope=meta.scope,
            audience=meta.audience,
            jwks_uri=meta.jwks_uri,
            jwks=meta.jwks,
            id_token_signed_response_alg="RS256",
            subject_type="public",
            consent_mode="explicit",
            citizen_facing=False,
            owner_client_id=owner.client_id,
            registration_token_hash=hash_secret(registration_token),
            software_id=meta.software_id,
            created_at=now,
            updated_at=now,
        )
        with self.db.transaction() as s:
            clients_repo.add_client(s, row)  # bumps clients_version
            self.audit.write(s, "client.registered", client_id=client_id, ip=ip,
                             owner=owner.client_id, grant_types=meta.grant_types,
                             auth_method=meta.auth_method, scope=meta.scope)
            information = self._information(row)
        self.clients.invalidate(client_id)
        # RFC 7591 §3.2.1: the secret and the registration access token, this once.
        if secret:
            information["client_secret"] = secret
        information["registration_access_token"] = registration_token
        return 201, information, NO_STORE

    def _replace(self, token: str | None, client_id: str, content_type: str, body: bytes,
                 ip: str | None) -> Answer:
        now = self.clock.now()
        with self.db.transaction() as s:
            row = self._authorised(s, token, client_id)
            document = parse_body(content_type, body)
            if document.get("client_id") != client_id:
                raise Refused("client_id must be the one of the registration client URI.")
            owner = self._policy_of(s, row.owner_client_id)
            meta = check_metadata({k: v for k, v in document.items() if k not in ECHOED},
                                  owner, now, replacing=True)
            was_secret = row.token_endpoint_auth_method in SECRET_METHODS
            if was_secret != (meta.auth_method in SECRET_METHODS):
                raise Refused("token_endpoint_auth_method cannot change between a secret and "
                              "private_key_jwt: register a new client.")
            if meta.client_secret is not None and not (
                    row.secret_hash and hmac.compare_digest(
                        hash_secret(meta.client_secret), row.secret_hash)):
                # RFC 7592 §2.2: a client_secret sent must be the current one.
                raise Refused("client_secret is not the client's current secret.")
            row.name = meta.client_name or client_id
            row.grant_types = meta.grant_types
            row.token_endpoint_auth_method = meta.auth_method
            row.redirect_uris = meta.redirect_uris
            row.scope = meta.scope
            row.audience = meta.audience
            row.jwks = meta.jwks
            row.jwks_uri = meta.jwks_uri
            row.software_id = meta.software_id
            row.updated_at = now
            s.flush()
            clients_repo.bump_version(s)
            self.audit.write(s, "client.updated", client_id=client_id, ip=ip,
                             owner=row.owner_client_id, grant_types=meta.grant_types,
                             auth_method=meta.auth_method, scope=meta.scope)
            information = self._information(row, token)
        self.clients.invalidate(client_id)
        return 200, information, NO_STORE

    def _rotate(self, token: str | None, client_id: str, content_type: str, body: bytes,
                ip: str | None) -> Answer:
        now = self.clock.now()
        with self.db.transaction() as s:
            row = self._authorised(s, token, client_id)
            requested = None
            if body.strip():
                document = parse_body(content_type, body)
                unknown = sorted(set(document) - {"client_secret_expires_at"})
                if unknown:
                    raise Refused(f"Unknown member {_quoted(unknown[0])}: only "
                                  "client_secret_expires_at may be given.")
                requested = _expiry_value(document.get("client_secret_expires_at"))
            if row.token_endpoint_auth_method not in SECRET_METHODS:
                raise Refused("This client authenticates with private_key_jwt: it has no "
                              "secret.")
            owner = self._policy_of(s, row.owner_client_id)
            secret = secrets.token_urlsafe(32)
            expires_at = _bounded_expiry(requested, owner, now)
            row.secret_hash = hash_secret(secret)
            row.secret_expires_at = expires_at
            row.updated_at = now
            s.flush()
            clients_repo.bump_version(s)
            self.audit.write(s, "client.secret_rotated", client_id=client_id, ip=ip,
                             owner=row.owner_client_id, expires_at=expires_at or 0)
        self.clients.invalidate(client_id)
        return 200, {"client_id": client_id, "client_secret": secret,
                     "client_secret_expires_at": expires_at or 0}, NO_STORE

    def _expiry(self, meta: Metadata, owner: Owner, now: int) -> int | None:
        return _bounded_expiry(meta.secret_expires_at, owner, now)

    def _owner(self, s: Session, token: str | None) -> Owner:
        """The application a ``registration`` token belongs to, with its current policy."""
        claims = self.tokens.verify_access_token(token) if token else None
        if claims is None or claims.get("gid") or claims.get("sub") != claims.get("client_id"):
            raise Unauthorized  # absent, invalid, expired, or a person's token
        if REGISTRATION_SCOPE not in str(claims.get("scope", "")).split():
            raise Unauthorized
        if tokens_repo.is_access_token_revoked(self.db, claims["jti"], None):
            raise Unauthorized
        return self._policy_of(s, str(claims["client_id"]))

    def _policy_of(self, s: Session, owner_id: str | None) -> Owner:
        row = clients_repo.get_client(s, owner_id) if owner_id else None
        if row is None or not row.registration_scope or REGISTRATION_SCOPE not in (
                row.scope.split()):
            # Not (or no longer) allowed to register: as an invalid token (RFC 7591 §3).
            raise Unauthorized
        return Owner(row.client_id, tuple(row.registration_scope.split()),
                     tuple(row.registration_audiences or ()), row.registration_max_secret_days)

    def _authorised(self, s: Session, token: str | None, client_id: str) -> Client:
        """The client if ``token`` is its registration access token or a registration token
        of its owner; Unauthorized for anything else, an unknown client id included."""
        if not token or len(token) > 8192 or has_control_characters(client_id) or len(
                client_id) > 255:
            raise Unauthorized
        row = clients_repo.get_client(s, client_id)
        presented = hash_secret(token)
        if row is not None and row.registration_token_hash and hmac.compare_digest(
                presented, row.registration_token_hash):
            return row
        if token.count(".") == 2:
            owner = self._owner(s, token)
            if row is not None and row.owner_client_id == owner.client_id:
                return row
        raise Unauthorized

    def _information(self, row: Client, token: str | None = None) -> dict[str, Any]:
        """RFC 7591 §3.2.1 / RFC 7592 §3: the registered metadata, without the client secret.
        RFC 7592 §3 wants a registration access token with the registration client URI: the
        hub keeps only hashes, so a read or an update answers with the token that authorised
        it (the client's own, or its owner's registration token), which the caller has."""
        grant_types = list(row.grant_types)
        information: dict[str, Any] = {
            "client_id": row.client_id,
            "client_id_issued_at": row.created_at,
            "client_name": row.name,
            "grant_types": grant_types,
            "response_types": ["code"] if "authorization_code" in grant_types else [],
            "token_endpoint_auth_method": row.token_endpoint_auth_method,
            "redirect_uris": list(row.redirect_uris),
            "scope": row.scope,
            "audience": list(row.audience),
            "registration_client_uri": f"{self.issuer}/register/{row.client_id}",
        }
        if token is not None:
            information["registration_access_token"] = token
        if row.token_endpoint_auth_method in SECRET_METHODS:
            information["client_secret_expires_at"] = row.secret_expires_at or 0
        if row.jwks is not None:
            information["jwks"] = row.jwks
        if row.jwks_uri:
            information["jwks_uri"] = row.jwks_uri
        if row.software_id:
            information["software_id"] = row.software_id
        return information


# The request body ----------------------------------------------------------------------------


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """A JSON object (RFC 7591 §3.1), bounded, without duplicate member or control
    character anywhere."""
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise Refused("The request body must be application/json.")
    if len(body) > MAX_BODY:
        raise Refused(f"The request body is larger than {MAX_BODY} bytes.")
    try:
        document = json.loads(body.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except _Duplicate as duplicate:
        raise Refused(f"Member {_quoted(str(duplicate))} is repeated.") from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Refused("The request body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise Refused("The request body must be a JSON object.")
    _no_control_characters(document, 0)
    return document


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _Duplicate(key)
        document[key] = value
    return document


def _no_control_characters(value: Any, depth: int) -> None:
    if depth > 8:
        raise Refused("The request body is nested too deeply.")
    if isinstance(value, str):
        if has_control_characters(value):
            raise Refused("Control characters are not accepted.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_control_characters(key, depth + 1)
            _no_control_characters(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _no_control_characters(item, depth + 1)


def _quoted(name: str) -> str:
    return json.dumps(name[:40])


# The metadata ---------------------------------------------------------------------------------


def check_metadata(document: dict[str, Any], owner: Owner, now: int,
                   replacing: bool = False) -> Metadata:
    """RFC 7591 §2 metadata, checked, with the owner's policy. Unknown members are ignored
    (§2); a software statement is not accepted (§2.3)."""
    if "software_statement" in document:
        raise Refused("Software statements are not accepted.", "invalid_software_statement")
    name = _optional_text(document, "client_name", 255)
    software_id = _optional_text(document, "software_id", 255)

    grant_types = _string_list(document, "grant_types", 3)
    if grant_types is None:
        grant_types = ["authorization_code"]  # RFC 7591 §2
    if len(set(grant_types)) != len(grant_types) or frozenset(grant_types) not in GRANT_SETS:
        raise Refused('grant_types must be ["client_credentials"], ["authorization_code"] or '
                      '["authorization_code", "refresh_token"].')
    code_flow = "authorization_code" in grant_types
    response_types = _string_list(document, "response_types", 1)
    if response_types is not None and response_types != (["code"] if code_flow else []):
        raise Refused('response_types must be ["code"] with authorization_code, [] otherwise '
                      "(RFC 7591 §2.1).")

    method = document.get("token_endpoint_auth_method", "client_secret_basic")
    if method not in AUTH_METHODS:
        raise Refused("token_endpoint_auth_method must be one of " + ", ".join(AUTH_METHODS)
                      + ".")

    redirect_uris = _string_list(document, "redirect_uris", MAX_URIS,
                                 "invalid_redirect_uri") or []
    if code_flow and not redirect_uris:
        raise Refused("redirect_uris is required with authorization_code.",
                      "invalid_redirect_uri")
    if not code_flow and redirect_uris:
        raise Refused("redirect_uris are only for authorization_code.", "invalid_redirect_uri")
    for uri in redirect_uris:
        problem = uri_problem(uri)
        if problem:
            raise Refused(problem[0].upper() + problem[1:] + ".", "invalid_redirect_uri")

    scope_value = document.get("scope")
    if scope_value is None:
        scope = " ".join(owner.scopes)
    else:
        if not isinstance(scope_value, str) or scope_problem(scope_value):
            raise Refused("scope must be space-separated scope tokens (RFC 6749 §3.3).")
        scope = " ".join(dict.fromkeys(scope_value.split()))
    outside = [t for t in scope.split() if t not in owner.scopes]
    if outside:
        raise Refused(f"Scope {_quoted(outside[0])} is not allowed to this application's "
                      "clients.")
    if not scope:
        raise Refused("scope is required: this application may register no scope.")

    audience = _string_list(document, "audience", MAX_AUDIENCES)
    if audience is None:
        audience = list(owner.audiences)
    audience = list(dict.fromkeys(audience))
    foreign = [a for a in audience if a not in owner.audiences]
    if foreign:
        raise Refused(f"Audience {_quoted(foreign[0])} is not allowed to this application's "
                      "clients.")

    jwks, jwks_uri = _keys(document, method)

    expires = None
    if not replacing:
        expires = _expiry_value(document.get("client_secret_expires_at"))
        if expires is not None and method not in SECRET_METHODS:
            raise Refused("client_secret_expires_at applies only to a client with a secret.")
    secret = document.get("client_secret") if replacing else None
    if secret is not None and not isinstance(secret, str):
        raise Refused("client_secret must be a string.")
    return Metadata(name, grant_types, method, redirect_uris, scope, audience, jwks, jwks_uri,
                    software_id, expires, secret)


def _optional_text(document: dict[str, Any], name: str, longest: int) -> str | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > longest or not (
            value.isprintable()):
        raise Refused(f"{name} must be 1 to {longest} printable characters.")
    return value.strip()


def _string_list(document: dict[str, Any], name: str, longest: int,
                 error: str = "invalid_client_metadata") -> list[str] | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > longest or not all(
            isinstance(item, str) and 0 < len(item) <= 1024 for item in value):
        raise Refused(f"{name} must be a list of at most {longest} non-empty strings of at "
                      "most 1024 characters.", error)
    return list(value)


def _keys(document: dict[str, Any], method: str) -> tuple[dict[str, Any] | None, str | None]:
    jwks, jwks_uri = document.get("jwks"), document.get("jwks_uri")
    if method != "private_key_jwt":
        if jwks is not None or jwks_uri is not None:
            raise Refused("jwks and jwks_uri are only for private_key_jwt.")
        return None, None
    if (jwks is None) == (jwks_uri is None):
        # RFC 7591 §2: jwks and jwks_uri MUST NOT both be present.
        raise Refused("private_key_jwt needs exactly one of jwks and jwks_uri.")
    if jwks_uri is not None:
        problem = uri_problem(jwks_uri) if isinstance(jwks_uri, str) else "not a string"
        if problem:
            raise Refused(f"jwks_uri: {problem}.")
        return None, jwks_uri
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not 0 < len(keys) <= MAX_KEYS or not all(
            isinstance(k, dict) for k in keys):
        raise Refused(f"jwks must be a JWK Set with 1 to {MAX_KEYS} keys (RFC 7517 §5).")
    if any(member in key for key in keys for member in PRIVATE_KEY_MEMBERS):
        raise Refused("jwks must hold public keys only.")
    if any(key.get("kty") not in ("RSA", "EC") for key in keys):
        raise Refused("jwks keys must be RSA or EC public keys.")
    try:
        KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError, KeyError):
        raise Refused("jwks holds a key that cannot be read.") from None
    return {"keys": keys}, None


def _expiry_value(value: Any) -> int | None:
    """client_secret_expires_at as requested: an epoch in seconds; 0 or absent: None."""
    if value is None or (value == 0 and not isinstance(value, bool)):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**53:
        raise Refused("client_secret_expires_at must be a time in seconds since the epoch.")
    return value


def _bounded_expiry(requested: int | None, owner: Owner, now: int) -> int | None:
    """The secret's expiry: the requested time, or now plus the owner's longest lifetime;
    refused in the past or beyond that lifetime. None: it never expires (no limit set and
    none asked)."""
    longest = now + owner.max_secret_days * 86400 if owner.max_secret_days else None
    if requested is None:
        return longest
    if requested <= now:
        raise Refused("client_secret_expires_at is in the past.")
    if longest is not None and longest < requested <= longest + CLOCK_SKEW:
        return longest  # the application computed now + the lifetime a moment earlier
    if longest is not None and requested > longest:
        raise Refused("client_secret_expires_at is beyond the longest secret lifetime allowed "
                      f"to this application's clients ({owner.max_secret_days} days).")
    return requested
