"""Why nobody is let in: the refusals of idp/accounts/authentication.py, as exception types
(as werkzeug.exceptions and authlib's OAuth2Error do). Each says what happened, never how it
is shown: idp/web/pages/login_outcomes.py maps each type to its status, page and message.

Not frozen dataclasses: raising through a context manager sets `__traceback__`, which a
frozen dataclass refuses.
"""

from __future__ import annotations


class AuthenticationRefused(Exception):
    """The base of every refusal. `delay`: seconds the answer must wait before it is sent
    (throttling.delay_for), spent by the caller without holding a thread."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(type(self).__name__)
        self.delay = delay


class MissingCredentials(AuthenticationRefused):
    """A name or password left empty: not a guess, so not counted."""


class BadCredentials(AuthenticationRefused):
    """A wrong password, an unknown name or a disabled account: one answer for all three, so
    it does not tell whether an account exists. Counted."""


class MissingCode(AuthenticationRefused):
    """No authenticator code typed where one is awaited. Counted, as a wrong code."""


class WrongCode(AuthenticationRefused):
    """A wrong, reused or expired authenticator or recovery code. Counted."""


class Locked(AuthenticationRefused):
    """The name or the address is locked for `minutes` more (OWASP ASVS 2.2.1): already, or
    since this answer, whose failure reached the limit."""

    def __init__(self, minutes: int, delay: float = 0.0) -> None:
        super().__init__(delay)
        self.minutes = minutes


class ExpiredPasswordNeedsAssistance(AuthenticationRefused):
    """Every factor was right but the password has expired, and the operator's setting
    (IDP_EXPIRED_PASSWORD_ACTION=assistance) leaves its renewal to the assistance desk."""


class AwaitingConfirmation(AuthenticationRefused):
    """The password is right but the account is a registration still awaiting its e-mail
    confirmation (seed 004 §1): told so, with a way to ask for another e-mail. Only the right
    password gets this answer; a wrong one is BadCredentials like any other."""

    def __init__(self, account_id: int, delay: float = 0.0) -> None:
        super().__init__(delay)
        self.account_id = account_id
