"""Message ids of texts chosen in code (translated in the templates, see locales/)."""

from typing import Any

from sitekit.web.i18n import N_

ERROR_MESSAGES = {
    "invalid_request": {
        "title": N_("Invalid request"),
        "message": N_("The login request sent by the application is invalid. "
                      "Go back to the application and try again."),
    },
    "invalid_client": {
        "title": N_("Unknown application"),
        "message": N_("The application that sent you here is not registered with the service."),
    },
    "unauthorized_client": {
        "title": N_("Application not authorised"),
        "message": N_("This application is not authorised to make this request."),
    },
    "unsupported_response_type": {
        "title": N_("Invalid request"),
        "message": N_("This type of request is not supported."),
    },
    "not_entitled": {
        "title": N_("Access refused"),
        "message": N_("Your account is not entitled to use this application. If you think you "
                      "should have access, contact your organisation's assistance desk."),
    },
    "request_expired": {
        "title": N_("Request expired"),
        "message": N_("This login request has expired. Go back to the application and start "
                      "again."),
    },
    "csrf": {
        "title": N_("Form expired"),
        "message": N_("The form has expired or does not come from this site. Reload the page "
                      "and start again."),
    },
    "not_found": {"title": N_("Page not found"), "message": N_("The page you asked for does not "
                                                               "exist.")},
    "method_not_allowed": {
        "title": N_("Invalid request"),
        "message": N_("This page cannot be reached this way."),
    },
    "bad_input": {
        "title": N_("Invalid request"),
        "message": N_("The request contains a value that cannot be accepted (a control "
                      "character, or a value that is too long). Go back and try again."),
    },
    "too_large": {
        "title": N_("Request too large"),
        "message": N_("The request is larger than this service accepts. Go back and try "
                      "again."),
    },
    "unsupported_media_type": {
        "title": N_("Invalid request"),
        "message": N_("This form was sent in a format this service does not accept."),
    },
    "server_error": {
        "title": N_("Service temporarily unavailable"),
        "message": N_("A technical error occurred. Try again in a few moments."),
    },
}

LOGIN_FAILED = N_("Incorrect identifier or password.")
LOGIN_MISSING = N_("Enter your identifier and your password.")

ACCOUNT_LOCKED = {
    "title": N_("Account temporarily blocked"),
    "message": N_("Too many wrong answers: you have been logged out, and logging in with "
                  "this identifier is blocked for {minutes} minutes. Try again later or "
                  "contact the assistance desk."),
}
LOGIN_LOCKED = N_(
    "Too many failed attempts: logging in with this identifier is blocked for {minutes} "
    "minutes. Try again later or contact the assistance desk."
)
PASSWORD_EXPIRED_ASSISTANCE = {
    "title": N_("Password expired"),
    "message": N_("Your password has expired. Contact the assistance desk to renew it."),
}

# The authenticator code, at login and on the second-factor page.
WRONG_CODE = N_("The code is wrong or has expired.")
MISSING_CODE = N_("Enter the 6-digit code shown by your authenticator app.")
WRONG_PASSWORD = N_("The current password is incorrect.")

# What the citizen sees when an identity provider (FI) fails them (pages/federation.py); the
# page names the FI and leads back to the picker, where the other FIs keep working.
FEDERATION_FAILURES: dict[str, dict[str, Any]] = {
    "unreachable": {
        "status": 502,
        "title": N_("Identity provider unavailable"),
        "message": N_("{provider} does not answer at the moment. Try again later, or choose "
                      "another identity provider."),
    },
    "bad_answer": {
        "status": 502,
        "title": N_("Login refused"),
        "message": N_("The answer of {provider} could not be verified, so it was not used. "
                      "Try again, or choose another identity provider."),
    },
    "refused": {
        "status": 403,
        "title": N_("Login cancelled"),
        "message": N_("{provider} did not confirm your identity. You can try again or choose "
                      "another identity provider."),
    },
    "insufficient_acr": {
        "status": 403,
        "title": N_("Level of security not reached"),
        "message": N_("This application requires a level of security that {provider} did not "
                      "give. Choose an identity provider that offers it."),
    },
    "identity_invalid": {
        "status": 403,
        "title": N_("Identity not accepted"),
        "message": N_("The identity sent by {provider} is incomplete or not valid, so it was "
                      "not passed on. Contact {provider}'s assistance, or choose another "
                      "identity provider."),
    },
    "identity_changed": {
        "status": 403,
        "title": N_("Identity not accepted"),
        "message": N_("The identity sent by {provider} differs from the one known for your "
                      "account. Contact the assistance desk."),
    },
    "account_disabled": {
        "status": 403,
        "title": N_("Account disabled"),
        "message": N_("Your account is disabled. Contact the assistance desk."),
    },
    "unavailable": {
        "status": 503,
        "title": N_("Identity provider unavailable"),
        "message": N_("{provider} is temporarily unavailable. Choose another identity "
                      "provider."),
    },
    "unknown_provider": {
        "status": 400,
        "title": N_("Invalid request"),
        "message": N_("This identity provider cannot be used for this application."),
    },
    "state_mismatch": {
        "status": 400,
        "title": N_("Login expired"),
        "message": N_("This login is not, or no longer, expected by this browser. Go back to "
                      "the application and start again."),
    },
}
AWAITING_CONFIRMATION = N_("Your account has not been activated yet: confirm your e-mail "
                           "address with the link we sent you.")
