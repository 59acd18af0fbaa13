"""What can go wrong with an upstream identity provider (FI).

Each error names the audit event it becomes (`event`) and whether it counts against the FI's
health (`counts_as_failure`: the FI is down or answers nonsense, as opposed to a user who
declined, a replayed callback or a forged token). Messages never hold a secret or a token.
"""

from __future__ import annotations


class UpstreamError(Exception):
    event: str = "fi_error"
    counts_as_failure: bool = False


class ProviderUnreachable(UpstreamError):
    """Connection refused, DNS failure, connection reset."""

    event = "fi_unreachable"
    counts_as_failure = True


class ProviderTimeout(UpstreamError):
    event = "fi_timeout"
    counts_as_failure = True


class ProviderBadAnswer(UpstreamError):
    """A 5xx, a redirect, a body that is not JSON or too large, a required member missing."""

    event = "fi_bad_answer"
    counts_as_failure = True


class ProviderRefused(UpstreamError):
    """The FI answered with an OAuth error: at the callback (RFC 6749 §4.1.2.1, e.g. the user
    cancelled: access_denied) or at the token endpoint (RFC 6749 §5.2, e.g. invalid_grant)."""

    event = "fi_refused"
    counts_as_failure = False
    # RFC 6749 §4.1.2.1: the two errors by which the FI says it is itself in trouble.
    FI_TROUBLE = ("server_error", "temporarily_unavailable")

    def __init__(self, error: str, description: str | None = None, *,
                 at_token_endpoint: bool = False) -> None:
        self.error = error
        self.description = description
        self.counts_as_failure = error in self.FI_TROUBLE
        if at_token_endpoint:
            self.event = "fi_token_refused"
        text = f"{error}: {description}" if description else error
        super().__init__(text)


class StateMismatch(UpstreamError):
    """The callback's `state` is not the one of this browser's pending flow (forged, replayed,
    another tab, or the flow expired)."""

    event = "fi_state_mismatch"
    counts_as_failure = False


class IssuerMismatch(UpstreamError):
    """RFC 9207 `iss` at the callback, the ID token's `iss`, or the discovery document's
    `issuer` is not the FI's issuer. A discovery mismatch makes every login fail: it counts."""

    event = "fi_issuer_mismatch"
    counts_as_failure = False

    def __init__(self, message: str, *, counts_as_failure: bool = False) -> None:
        self.counts_as_failure = counts_as_failure
        super().__init__(message)


class TokenInvalid(UpstreamError):
    """The ID token (or a signed userinfo answer) fails a check of OIDC Core §3.1.3.7."""

    event = "fi_token_invalid"
    counts_as_failure = False

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class InsufficientAcr(UpstreamError):
    """The FI authenticated at a lower level than the lowest one asked."""

    event = "fi_insufficient_acr"
    counts_as_failure = False

    def __init__(self, asked: tuple[str, ...], got: str | None) -> None:
        self.asked = asked
        self.got = got
        super().__init__(f"acr {got!r} below the lowest of {' '.join(asked)}")


class UserinfoMismatch(UpstreamError):
    """OIDC Core §5.3.2: the userinfo `sub` is not the ID token's."""

    event = "fi_userinfo_mismatch"
    counts_as_failure = False
