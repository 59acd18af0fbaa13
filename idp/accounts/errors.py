"""Account errors, each with the French message shown to the user."""


class AccountError(Exception):
    message = "Une erreur est survenue."


class InvalidCredentials(AccountError):
    message = "Identifiant ou mot de passe incorrect."


class AccountDisabled(AccountError):
    message = "Ce compte est désactivé. Contactez l'assistance."
