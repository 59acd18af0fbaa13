"""The hub as a relying party of an upstream identity provider (FI): OIDC Core §3.1, the
authorization code flow with PKCE (RFC 7636, S256), `state`, `nonce`, `prompt=login`.

`start()` gives the URL to send the browser to and the `FlowState` the caller keeps in the
hub's browser session. At the callback the caller POPS that state from the session (so a
state serves once: a replayed callback finds none) and hands it to `finish()`, which checks
the callback, redeems the code, checks the ID token and reads userinfo. `finish()` blocks
(HTTP calls): run it in the runtime's thread pool. Nothing here touches pages or database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from idp.clock import Clock
from idp.federation import client_auth
from idp.federation.client_auth import SigningKeys
from idp.federation.errors import (
    IssuerMismatch,
    ProviderBadAnswer,
    ProviderRefused,
    StateMismatch,
    TokenInvalid,
    UserinfoMismatch,
)
from idp.federation.id_token import check_id_token_claims, verify_signature
from idp.federation.metadata import AsymmetricKey, MetadataCache, ProviderMetadata
from idp.federation.providers import Provider
from idp.federation.transport import Transport

FLOW_LIFETIME = 1800  # seconds a citizen may spend at the FI before the flow is stale
MAX_PARAMETER = 2048  # longest callback parameter read (code, state, iss, error)
MAX_DESCRIPTION = 300  # error_description kept, cleaned, for the audit trail


@dataclass(frozen=True)
class FlowState:
    """One pending login at an FI, kept in the hub's browser session until the callback."""

    provider_id: str
    state: str
    nonce: str
    code_verifier: str
    acr_values: tuple[str, ...]
    started_at: int

    def to_dict(self) -> dict[str, Any]:
        return {"provider_id": self.provider_id, "state": self.state, "nonce": self.nonce,
                "code_verifier": self.code_verifier, "acr_values": list(self.acr_values),
                "started_at": self.started_at}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FlowState:
        """The state read back from the session; ValueError when it is not one."""
        if not isinstance(data, Mapping):
            raise ValueError("flow state is not a mapping")
        acr = data.get("acr_values")
        if not isinstance(acr, list | tuple) or not all(isinstance(a, str) for a in acr):
            raise ValueError("flow state: acr_values is not a list of strings")
        texts = [data.get(k) for k in ("provider_id", "state", "nonce", "code_verifier")]
        started_at = data.get("started_at")
        if not all(isinstance(t, str) and t for t in texts) or not isinstance(started_at, int) \
                or isinstance(started_at, bool):
            raise ValueError("malformed flow state")
        provider_id, state, nonce, verifier = (str(t) for t in texts)
        return cls(provider_id, state, nonce, verifier, tuple(acr), started_at)


@dataclass(frozen=True)
class UpstreamIdentity:
    provider_id: str
    sub: str
    acr: str | None
    amr: tuple[str, ...]
    auth_time: int | None
    claims: dict[str, Any]  # userinfo claims (their sub checked equal to the ID token's)
    id_token: str  # raw, for the FI's end_session id_token_hint


def _code_challenge(verifier: str) -> str:
    # RFC 7636 §4.2: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))), no padding.
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _with_query(url: str, params: Mapping[str, str]) -> str:
    """`url` with `params` added to the query it may already have (OIDC Core §3.1.2.1)."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _parameter(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_PARAMETER:
        raise ProviderBadAnswer(f"callback: {name} malformed")
    return value


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    return "".join(c for c in text if c.isprintable())[:MAX_DESCRIPTION]


class UpstreamClient:
    """One per hub process: shares its HTTP connection pool, the FIs' metadata and key sets."""

    def __init__(self, *, redirect_uri: str, timeout: float, clock: Clock,
                 signing_key_provider: SigningKeys, metadata_ttl: int = 3600) -> None:
        self.redirect_uri = redirect_uri
        self._clock = clock
        self._keys = signing_key_provider
        self._transport = Transport(timeout)
        self._cache = MetadataCache(self._transport, clock, metadata_ttl)

    def close(self) -> None:
        self._transport.close()

    def metadata(self, provider: Provider) -> ProviderMetadata:
        return self._cache.metadata(provider)

    # The authorization request (OIDC Core §3.1.2.1) -------------------------------------------

    def start(self, provider: Provider, acr_values: Sequence[str]) -> tuple[str, FlowState]:
        """The FI's authorization URL and the state to keep. `acr_values` empty: the FI's
        configured ones. May fetch the FI's discovery document (once per TTL)."""
        metadata = self._cache.metadata(provider)
        acr = tuple(acr_values) or provider.acr_values
        flow = FlowState(
            provider_id=provider.id,
            state=secrets.token_urlsafe(32),  # 43 characters, 256 bits
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64),  # RFC 7636 §4.1: 43 to 128 characters
            acr_values=acr,
            started_at=self._clock.now(),
        )
        scopes = list(dict.fromkeys(("openid", *provider.scopes)))
        params = {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(scopes),
            "state": flow.state,
            "nonce": flow.nonce,
            "code_challenge": _code_challenge(flow.code_verifier),
            "code_challenge_method": "S256",
            # The FI authenticates the citizen every time: its own session is never reused.
            "prompt": "login",
        }
        if acr:
            params["acr_values"] = " ".join(acr)
        return _with_query(metadata.authorization_endpoint, params), flow

    # The callback, the token request, the userinfo request --------------------------------------

    def finish(self, provider: Provider, flow: FlowState,
               params: Mapping[str, str]) -> UpstreamIdentity:
        """The identity the FI asserts, from the callback's query parameters. `flow` must have
        been popped from the browser session by the caller (single use)."""
        code = self._check_callback(provider, flow, params)
        metadata = self._cache.metadata(provider)
        tokens = self._redeem(provider, metadata, flow, code)
        id_token = tokens["id_token"]
        claims = self._verify(provider, metadata, id_token, "id_token")
        check_id_token_claims(claims, issuer=metadata.issuer, client_id=provider.client_id,
                              nonce=flow.nonce, acr_asked=flow.acr_values,
                              started_at=flow.started_at, now=self._clock.now())
        sub: str = claims["sub"]
        if metadata.userinfo_endpoint:
            userinfo = self._userinfo(provider, metadata, tokens["access_token"])
            # OIDC Core §5.3.2: the sub in the UserInfo Response MUST be verified to exactly
            # match the sub in the ID Token; if not, the values MUST NOT be used.
            if not isinstance(userinfo.get("sub"), str) or not hmac.compare_digest(
                    userinfo["sub"].encode(), sub.encode()):
                raise UserinfoMismatch("userinfo sub is not the ID token's")
        else:
            userinfo = dict(claims)
        amr = claims.get("amr") or []
        auth_time = claims.get("auth_time")
        return UpstreamIdentity(
            provider_id=provider.id, sub=sub, acr=claims.get("acr"), amr=tuple(amr),
            auth_time=int(auth_time) if auth_time is not None else None,
            claims=userinfo, id_token=id_token)

    def _check_callback(self, provider: Provider, flow: FlowState,
                        params: Mapping[str, str]) -> str:
        # RFC 6749 §10.12, OIDC Core §3.1.2.7: the state binds the callback to this browser.
        state = _parameter(params, "state")
        if (state is None or flow.provider_id != provider.id
                or not hmac.compare_digest(state.encode(), flow.state.encode())):
            raise StateMismatch("callback state is not this browser's pending flow")
        if self._clock.now() - flow.started_at > FLOW_LIFETIME:
            raise StateMismatch("the pending flow is too old")
        metadata = self._cache.metadata(provider)
        # RFC 9207 §2.4: an `iss` present is compared whatever the FI advertises; one the FI
        # promised (§3) MUST be there. Checked before an error response is trusted.
        iss = _parameter(params, "iss")
        if iss is not None and iss != metadata.issuer:
            raise IssuerMismatch("callback iss is not the FI's issuer (mix-up)")
        if iss is None and metadata.iss_parameter_supported:
            raise IssuerMismatch("callback iss missing though the FI advertises it")
        error = _parameter(params, "error")
        if error is not None:  # RFC 6749 §4.1.2.1
            raise ProviderRefused(_clean(error) or "error",
                                  _clean(params.get("error_description")))
        code = _parameter(params, "code")
        if not code:
            raise ProviderBadAnswer("callback: code missing")
        return code

    def _redeem(self, provider: Provider, metadata: ProviderMetadata, flow: FlowState,
                code: str) -> dict[str, str]:
        """OIDC Core §3.1.3.1-3.1.3.3: the token request and its successful answer."""
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": self.redirect_uri, "code_verifier": flow.code_verifier}
        headers: dict[str, str] = {}
        method = provider.token_endpoint_auth_method
        if method == "client_secret_basic":
            headers.update(client_auth.client_secret_basic(provider.client_id,
                                                           self._secret(provider)))
        elif method == "client_secret_post":
            form.update(client_id=provider.client_id, client_secret=self._secret(provider))
        elif method == "private_key_jwt":
            alg = client_auth.assertion_alg(metadata.token_endpoint_auth_signing_algs)
            form["client_id"] = provider.client_id
            form.update(client_auth.private_key_jwt(provider.client_id, metadata.token_endpoint,
                                                    self._keys, alg, self._clock.now()))
        else:
            raise ValueError(f"FI {provider.id}: unknown token_endpoint_auth_method {method!r}")
        answer = self._transport.post_form(metadata.token_endpoint, "token", form, headers,
                                           fi=provider.id)
        if answer.status != 200:
            body = answer.json_object("token") if answer.content_type == "application/json" \
                else {}
            error = body.get("error")
            if answer.status in (400, 401) and isinstance(error, str):  # RFC 6749 §5.2
                description = body.get("error_description")
                raise ProviderRefused(_clean(error) or "error",
                                      _clean(description if isinstance(description, str)
                                             else None), at_token_endpoint=True)
            raise ProviderBadAnswer(f"token: HTTP {answer.status}")
        tokens = answer.json_object("token")
        for name in ("id_token", "access_token", "token_type"):
            if not isinstance(tokens.get(name), str) or not tokens[name]:
                raise ProviderBadAnswer(f"token: {name} missing")
        # RFC 6749 §7.1, OIDC Core §3.1.3.3: the token type is Bearer, case-insensitively.
        if tokens["token_type"].lower() != "bearer":
            raise ProviderBadAnswer("token: token_type is not Bearer")
        return tokens

    @staticmethod
    def _secret(provider: Provider) -> str:
        if not provider.client_secret:
            raise ValueError(f"FI {provider.id}: {provider.token_endpoint_auth_method} "
                             "without a client secret")
        return provider.client_secret

    def _verify(self, provider: Provider, metadata: ProviderMetadata, raw: str,
                what: str) -> dict[str, Any]:
        def keys() -> list[AsymmetricKey]:
            return self._cache.key_set(provider, metadata)

        def refetch() -> list[AsymmetricKey] | None:
            return self._cache.refetch_for_unknown_kid(provider, metadata)

        return verify_signature(raw, what, keys, refetch)

    def _userinfo(self, provider: Provider, metadata: ProviderMetadata,
                  access_token: str) -> dict[str, Any]:
        """OIDC Core §5.3: JSON, or a JWT signed by the FI (`application/jwt`, §5.3.2)."""
        assert metadata.userinfo_endpoint is not None
        answer = self._transport.get(metadata.userinfo_endpoint, "userinfo",
                                     {"Authorization": f"Bearer {access_token}",
                                      "Accept": "application/json, application/jwt"},
                                     fi=provider.id)
        if answer.status != 200:
            raise ProviderBadAnswer(f"userinfo: HTTP {answer.status}")
        if answer.content_type != "application/jwt":
            return answer.json_object("userinfo")
        try:
            raw = answer.body.decode("ascii").strip()
        except UnicodeDecodeError:
            raise TokenInvalid("userinfo: not a JWT") from None
        claims = self._verify(provider, metadata, raw, "userinfo")
        # §5.3.2: a signed answer SHOULD carry iss (the FI) and aud (us): checked when present.
        if "iss" in claims and claims["iss"] != metadata.issuer:
            raise IssuerMismatch("userinfo: iss is not the FI's issuer")
        if "aud" in claims:
            aud = claims["aud"]
            audiences = [aud] if isinstance(aud, str) else aud
            if not isinstance(audiences, list) or provider.client_id not in audiences:
                raise TokenInvalid("userinfo: aud does not contain our client_id")
        return claims

    # RP-initiated logout at the FI --------------------------------------------------------------

    def end_session_url(self, provider: Provider, id_token: str,
                        post_logout_redirect_uri: str | None, state: str | None) -> str | None:
        """OpenID Connect RP-Initiated Logout 1.0 §2: where to send the browser to log out of
        the FI, or None when it has no end_session_endpoint. May fetch metadata (TTL)."""
        endpoint = self._cache.metadata(provider).end_session_endpoint
        if not endpoint:
            return None
        params = {"id_token_hint": id_token, "client_id": provider.client_id}
        if post_logout_redirect_uri:
            params["post_logout_redirect_uri"] = post_logout_redirect_uri
            if state:
                params["state"] = state
        return _with_query(endpoint, params)
