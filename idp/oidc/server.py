"""The authorization server (authlib) and its Starlette binding.

Binding (as authlib's Flask integration): ``create_oauth2_request`` from a Starlette request
whose body was read beforehand, ``handle_response`` returning (status, body, headers) that
``to_starlette`` turns into a response. The authlib calls are synchronous and touch the
database: callers run them in a thread pool, off the event loop.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Payload, OAuth2Request
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from idp.accounts.second_factor import is_enrolled
from idp.limits import printable_name
from idp.oidc.assurance import acr_levels
from idp.oidc.claims import SCOPE_CLAIMS
from idp.oidc.client_auth import (
    PrivateKeyJWT,
    authenticate_client_secret_basic,
    authenticate_client_secret_post,
    basic_credentials,
)
from idp.oidc.clients import RegisteredClient
from idp.oidc.endpoints.introspection import HubIntrospectionEndpoint
from idp.oidc.endpoints.revocation import HubRevocationEndpoint
from idp.oidc.errors import InvalidRequestError, InvalidScopeError
from idp.oidc.extensions.openid import OpenIDConnect, OpenIDRefresh
from idp.oidc.extensions.pkce import S256CodeChallenge
from idp.oidc.grants.authorization_code import AuthorizationCodeGrant
from idp.oidc.grants.client_credentials import ClientCredentialsGrant
from idp.oidc.grants.refresh_token import RefreshTokenGrant
from idp.oidc.subject import PairwiseSubjects
from idp.oidc.tokens import TokenService, new_opaque_token
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import consents as consents_repo
from idp.storage.repositories import tokens as tokens_repo
from sitekit.storage.database import LazyTransaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from idp.oidc.checks import Authn
    from idp.oidc.grants.issuing import GrantContext
    from idp.oidc.grants.refresh_token import PresentedRefreshToken
    from idp.runtime import Runtime
    from idp.storage.models import Account

SCOPES = ("openid", "offline_access", *SCOPE_CLAIMS)

ProtocolResponse = tuple[int, Any, list[tuple[str, str]]]


class HubPayload(OAuth2Payload):
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist

    def datalist_items(self) -> list[tuple[str, str]]:
        return [(key, value) for key, values in self._datalist.items() for value in values]


class HubOAuth2Request(OAuth2Request):
    def __init__(
        self,
        method: str,
        uri: str,
        headers: Any,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
        remote_addr: str | None,
    ) -> None:
        # authlib's OAuth2Request.__init__ re-checks on every request that the URI is https
        # (or loopback); ours is always the issuer's, checked once by Settings.validate.
        # The attributes below are authlib 1.9.9's (tests/unit/oidc/test_binding.py).
        self.method = method
        self.uri = uri
        self.headers = headers
        self._body = None
        # Set by authlib's client authentication before anything reads it.
        self.client: RegisteredClient = None  # type: ignore[assignment]  # set before any read
        self.auth_method = None
        self.user: Account | None = None
        self.authorization_code = None
        self.credential = None
        self._scope = None
        self._args = dict(query)
        self._form = dict(form)
        self.payload = HubPayload(query if method == "GET" else form)
        self.remote_addr = remote_addr
        self.authn: Authn | None = None
        self.claims_param: dict[str, Any] | None = None
        self.grant_context: GrantContext | None = None
        self.server: HubAuthorizationServer | None = None
        # The token request's one transaction (HubAuthorizationServer.create_token_response).
        self.unit: LazyTransaction | None = None
        self.refresh_token: PresentedRefreshToken | None = None
        # Runs in the transaction that saves the authorization code, if one is issued (the
        # browser session's update at /authorize/resume: one transaction, not two; issue 16).
        self.with_code: Callable[[Session], object] | None = None
        self._basic: tuple[str | None, str | None] | None = None

    def basic_credentials(self) -> tuple[str | None, str | None]:
        """client_id and secret of the HTTP Basic header (client_auth.basic_credentials),
        parsed once: the client cache's check and the client's authentication both ask."""
        if self._basic is None:
            self._basic = basic_credentials(self.headers)
        return self._basic

    def transaction(self) -> Session:
        """The token request's one transaction (HubAuthorizationServer.create_token_response)."""
        assert self.unit is not None, "only within create_token_response"
        return self.unit.session()

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


async def read_oauth2_request(request: Request, issuer: str) -> HubOAuth2Request:
    """Build the protocol request; the URI is the issuer's, not whatever Host was sent."""
    form: list[tuple[str, str]] = []
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type == "application/x-www-form-urlencoded":
            # A url-encoded form holds only strings (files come in multipart bodies).
            form = [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]
    return HubOAuth2Request(
        request.method,
        issuer + request.url.path,
        request.headers,
        list(request.query_params.multi_items()),
        form,
        request.client.host if request.client else None,
    )


def to_starlette(response: ProtocolResponse) -> Response:
    status, body, headers = response
    header_map = dict(headers)
    location = header_map.pop("Location", None)
    if location is not None and status in (301, 302, 303, 307):
        return RedirectResponse(location, status_code=status, headers=header_map)
    if isinstance(body, (dict, list)):
        header_map.pop("Content-Type", None)
        return JSONResponse(body, status_code=status, headers=header_map)
    return Response(body or "", status_code=status, headers=header_map)


class HubAuthorizationServer(AuthorizationServer):
    def __init__(self, runtime: Runtime) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.rt = runtime
        self.tokens = TokenService(runtime.settings, runtime.keys, runtime.clock)
        self.subjects = PairwiseSubjects(runtime.db, lambda: runtime.keys.pairwise_salt)
        self.acr_levels = acr_levels(runtime.settings)
        self.acr_values_supported = tuple(self.acr_levels)
        self.register_client_auth_method("client_secret_basic", authenticate_client_secret_basic)
        self.register_client_auth_method("client_secret_post", authenticate_client_secret_post)
        self.register_client_auth_method(
            "private_key_jwt", PrivateKeyJWT(runtime.db, runtime.settings.issuer))
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(), OpenIDConnect()])
        self.register_grant(RefreshTokenGrant, [OpenIDRefresh()])
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(HubIntrospectionEndpoint)
        self.register_endpoint(HubRevocationEndpoint)
        self.register_token_generator("default", self._no_generator)

    # authlib's binding hooks -----------------------------------------------------------------

    def query_client(self, client_id: str) -> RegisteredClient | None:
        return self.rt.clients.get(client_id)

    def create_oauth2_request(self, request: HubOAuth2Request) -> HubOAuth2Request:
        request.server = self
        return request

    def create_json_request(self, request: HubOAuth2Request) -> HubOAuth2Request:
        return request

    def handle_response(self, status: int, body: Any,
                        headers: Iterable[tuple[str, str]]) -> ProtocolResponse:
        return status, body, list(headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Signals are not used: the grants audit what they do themselves."""

    def validate_requested_scope(self, scope: str | None) -> None:
        """Unknown scopes are dropped by RegisteredClient.get_allowed_scope (RFC 6749 §3.3)."""

    @staticmethod
    def _no_generator(**kwargs: Any) -> NoReturn:
        raise RuntimeError("tokens are issued by HubAuthorizationServer.issue_tokens")

    # Token endpoint ----------------------------------------------------------------------

    def _refuse_repeated(self, request: HubOAuth2Request) -> ProtocolResponse | None:
        """RFC 6749 §3.2: request parameters MUST NOT be included more than once; the same
        for introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1), whose parameters
        are "using the application/x-www-form-urlencoded format" of the token endpoint."""
        duplicated = [k for k, v in request.payload.datalist.items() if len(v) > 1]
        if not duplicated:
            return None
        error = InvalidRequestError(f"Repeated parameter: {printable_name(duplicated[0])}.")
        refused: ProtocolResponse = self.handle_error_response(request, error)
        return refused

    def create_endpoint_response(self, name: str, request: HubOAuth2Request | None = None,
                                 ) -> ProtocolResponse:
        assert request is not None  # the protocol layer always builds one
        refused = self._refuse_repeated(request)
        if refused is not None:
            return refused
        answer: ProtocolResponse = super().create_endpoint_response(name, request)
        return answer

    def create_token_response(self, request: HubOAuth2Request) -> ProtocolResponse:
        refused = self._refuse_repeated(request)
        if refused is not None:
            return refused
        # Consuming the code (RFC 6749 §4.1.2) or rotating the refresh token (RFC 9700
        # §4.14.2) commits in one transaction with the refresh token that replaces it: a
        # database failure in between rolls both back, so the client's retry works as its
        # first request would have instead of looking like a replay. Protocol errors are
        # answers, not exceptions: what they did (a replay's revocation, a code consumed by a
        # wrong code_verifier) commits. A request that needs no database opens no transaction.
        with self.rt.db.transaction_on_first_use() as unit:
            request.unit = unit
            status, body, headers = super().create_token_response(request)
        if status != 200:
            client_id = request.client.client_id if request.client else request.form.get(
                "client_id")
            self.rt.audit.record("token.refused", client_id=client_id, ip=request.remote_addr,
                                 error=body.get("error") if isinstance(body, dict) else None)
        # RFC 6749 §5.1: token responses must not be cached.
        headers = [(k, v) for k, v in headers if k.lower() not in ("cache-control", "pragma")]
        return status, body, [*headers, ("Cache-Control", "no-store"), ("Pragma", "no-cache")]

    def can_answer_without_io(self, request: HubOAuth2Request) -> bool:
        """A client_credentials request of a client this process has cached, authenticated
        by secret: no database access is needed (the audit event is buffered)."""
        if request.form.get("grant_type") != "client_credentials":
            return False
        return self.client_is_cached(request)

    def can_introspect_on_event_loop(self, request: HubOAuth2Request) -> bool:
        """An introspection of an access token (a JWT) by a client this process has cached,
        authenticated by secret: the one read it needs (revocations) is answered on the
        event loop (``Database.run_on_event_loop``)."""
        return (self.rt.db.reads_on_event_loop
                and request.form.get("token_type_hint") != "refresh_token"
                and request.form.get("token", "").count(".") == 2
                and self.client_is_cached(request))

    def introspection_reads(self, request: HubOAuth2Request,
                            ) -> list[tuple[dict[str, str], tuple[str, ...]]]:
        """The read the introspection of this request's token will ask for, known ahead when
        the token is an access token of ours (its signature verified, as the endpoint will):
        done before the endpoint runs, it runs once instead of twice on PostgreSQL."""
        claims = self.tokens.verify_access_token(request.form.get("token", ""))
        if claims is None:
            return []
        return [tokens_repo.access_token_revoked_read(claims["jti"], claims.get("gid"))]

    def client_is_cached(self, request: HubOAuth2Request) -> bool:
        """The client authenticating by secret is in this process's cache, fresh."""
        client_id = request.form.get("client_id")
        authorization = request.headers.get("authorization", "")
        if authorization[:6].lower() == "basic ":
            client_id, _ = request.basic_credentials()
        client = self.rt.clients.peek(client_id)
        return client is not None and client.token_endpoint_auth_method in (
            "client_secret_basic", "client_secret_post")

    def issue_tokens(self, request: HubOAuth2Request, grant_type: str, user: Account | None,
                     scope: str | None, include_refresh_token: bool) -> dict[str, Any]:
        client = request.client
        allowed = client.get_allowed_scope(scope)
        if scope and not allowed:
            raise InvalidScopeError()
        scope = allowed
        ctx = request.grant_context
        if user is None:
            access_token, _ = self.tokens.access_token(
                client_id=client.client_id, audience=client.audience, scope=scope,
                subject=client.client_id,
            )
        else:
            assert ctx is not None  # a user's tokens belong to a grant
            access_token, _ = self.tokens.access_token(
                client_id=client.client_id, audience=client.audience, scope=scope,
                subject=self.subject_of(
                    user, client, request.unit.session() if request.unit else None),
                grant_id=ctx.id,
                auth_time=ctx.auth_time, acr=ctx.acr, amr=list(ctx.amr),
            )
        token = {
            "token_type": "Bearer",
            "access_token": access_token,
            "expires_in": self.rt.settings.access_token_ttl,
            "scope": scope,
        }
        if include_refresh_token and ctx is not None:
            token["refresh_token"] = new_opaque_token()
        return token

    def save_token(self, token: dict[str, Any], request: HubOAuth2Request) -> None:
        ctx = request.grant_context
        now = self.rt.clock.now()
        if "refresh_token" in token:
            # In the request's transaction, with the code consumed or the token rotated.
            assert ctx is not None  # a refresh token belongs to a grant
            tokens_repo.save_refresh_token(
                request.transaction(), token["refresh_token"], grant_id=ctx.id,
                client_id=request.client.client_id, scope=token["scope"], issued_at=now,
                expires_at=ctx.expires_at,
            )
        self.rt.audit.record(
            "token.issued", account_id=ctx.account_id if ctx else None,
            client_id=request.client.client_id, ip=request.remote_addr,
            grant_type=request.payload.grant_type,
        )

    # Helpers shared by grants, checks and endpoints ------------------------------------------

    def subject_of(self, account: Account, client: RegisteredClient,
                   s: Session | None = None) -> str:
        """The `sub` the client sees (OIDC Core §8): pairwise ones stored at first use
        (subject.py); in `s` when the caller holds a transaction (a writer on SQLite must
        not wait on its own lock)."""
        return self.subjects.subject_of(account, client.subject_type,
                                        client.sector_identifier, s)

    def load_active_account(self, account_id: int, s: Session | None = None) -> Account | None:
        """The account if it is still active, detached, for reading only; read in ``s`` when
        given (a token request's transaction), so a request holds one connection, not two."""
        account = accounts_repo.read_account(s, account_id) if s is not None else \
            accounts_repo.fetch_account(self.rt.db, account_id)
        return account if account is not None and not account.disabled else None

    def has_second_factor(self, account_id: int) -> bool:
        return is_enrolled(self.rt.db, account_id)

    def remembered_disclosure(self, account_id: int, client_id: str
                              ) -> consents_repo.RememberedDisclosure | None:
        return consents_repo.remembered_disclosure(self.rt.db, account_id, client_id)

