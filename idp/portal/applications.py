"""The person's authorized applications and "Retirer l'accès" (the consent page promises "vous
pouvez le retirer à tout moment"; PRODUCT.md: consent remembered, revocable by the user).

An application is listed when it holds a remembered consent or information page of the
account, or received its data (an event of portal/history.py TRANSFERS) since the last
withdrawal; a client since removed is not (its grants and consents went with it; the history
still names it). Withdrawing, in one transaction: every grant of the account for that client
revoked (its refresh tokens refused, its access tokens inactive at introspection and
userinfo), its consent row deleted (the next login there shows the consent or information
page again), the event `consent.withdrawn` written; then the caller delivers a back-channel
logout (OIDC Back-Channel Logout 1.0) for each of the account's sessions the client knows.

The operator's own applications (consent_mode "none") are listed too and can be withdrawn
the same way, but they ask no consent: withdrawing ends their access now (tokens, sessions),
and the next use of the application gives it the data again, without a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from idp.oidc.data_kinds import data_kind_labels
from idp.oidc.endpoints.backchannel_logout import account_client_logout_deliveries
from idp.portal.history import TRANSFERS, WITHDRAWN
from idp.storage.repositories import audit as audit_repo
from idp.storage.repositories import clients as clients_repo
from idp.storage.repositories import consents as consents_repo
from idp.storage.repositories import tokens as tokens_repo

if TYPE_CHECKING:
    from idp.oidc.server import HubAuthorizationServer
    from sitekit.storage.database import Database

# The transfers whose claims say what an application received, read per application.
CLAIMS_READ = 50


@dataclass(frozen=True)
class AuthorizedApplication:
    client_id: str
    name: str
    consent_mode: str  # the client's: "explicit", "information" or "none"
    data: list[str]  # message ids of the data kinds received or allowed
    since: int  # the first consent or transfer (since the last withdrawal)
    last_transfer: int | None


@dataclass(frozen=True)
class Withdrawal:
    client_id: str
    name: str
    grants_revoked: int
    deliveries: list[tuple[str, str, str]]  # for backchannel_logout.deliver


class NotAuthorized(Exception):
    """The client is not among the account's authorized applications."""


def authorized_applications(db: Database, account_id: int) -> list[AuthorizedApplication]:
    """The account's applications, by name."""
    apps = []
    with db.read() as s:
        consents = {c.client_id: c for c in consents_repo.account_consents(s, account_id)}
        activity = {a.client_id: a for a in audit_repo.client_activity(
            s, account_id, TRANSFERS, WITHDRAWN)}
        clients = clients_repo.clients_by_id(s, consents.keys() | activity.keys())
        for client_id, client in clients.items():
            consent, active = consents.get(client_id), activity.get(client_id)
            claims = set(consent.claims or ()) if consent else set()
            starts = [t for t in (consent.granted_at if consent else None,
                                  active.first_at if active else None) if t is not None]
            for detail in audit_repo.latest_details(s, account_id, client_id, TRANSFERS,
                                                    min(starts), CLAIMS_READ):
                named = detail.get("claims")
                if isinstance(named, list):
                    claims.update(c for c in named if isinstance(c, str))
            apps.append(AuthorizedApplication(
                client_id, client.name, client.consent_mode or "explicit",
                data_kind_labels(claims), min(starts),
                active.last_at if active else None))
    return sorted(apps, key=lambda a: (a.name.lower(), a.client_id))


def withdraw_access(server: HubAuthorizationServer, account_id: int, client_id: str,
                    ip: str | None) -> Withdrawal:
    """Withdraw `client_id`'s access to the account (the module's docstring); raises
    NotAuthorized when it is not one of the account's applications (a client id typed into
    the form: never another account's, never an unknown one)."""
    rt = server.rt
    listed = {a.client_id: a for a in authorized_applications(rt.db, account_id)}
    app = listed.get(client_id)
    if app is None:
        raise NotAuthorized(client_id)
    with rt.db.transaction() as s:
        revoked = tokens_repo.revoke_account_client_grants(s, account_id, client_id,
                                                           rt.clock.now())
        consents_repo.withdraw_consent(s, account_id, client_id)
        deliveries = account_client_logout_deliveries(server, s, account_id, client_id)
        rt.audit.write(s, WITHDRAWN, account_id=account_id, client_id=client_id, ip=ip,
                       grants=len(revoked), sessions=len(deliveries))
    return Withdrawal(client_id, app.name, len(revoked), deliveries)
