"""Deletion of an account (seed 004 §7 "Comment supprimer votre compte ?"), by its owner, for
inactivity (portal/inactivity.py) or by an operator (`idp users delete`).

One transaction does it all, so nothing is half done and nothing is announced that did not
happen:

- the applications that knew the person (`deletion_repo.clients_of_account`: grants of any
  state, consents, sessions, data transfers in the audit trail) are told through the outbox,
  delivered until acknowledged (messaging/senders.py): a back-channel logout token (`sub`,
  no `sid`: every session of the person there ends) to those with a
  `backchannel_logout_uri`, and an account-purged Security Event Token (RFC 8417, OpenID
  RISC) to those with an `account_events_uri`. Each names the `sub` that application knows
  (public, or the stored pairwise one), read before the rows that hold it go;
- the account row is deleted, and with it (ON DELETE CASCADE) its sessions, grants with their
  codes and refresh tokens, consents, stored subjects, FI links, passwords, second factor;
  access tokens whose grant is gone are inactive (storage/repositories/tokens.py);
- the audit trail is kept for disputes and statistics, without identity: `account_id` and
  `ip` emptied (SQLite may give a deleted account's id to a new account), `detail` reduced
  to the keys that describe the event, plus `account_ref`, a keyed hash (HMAC under
  `hash.key`) of the account's public subject, so the events of one former account can
  still be grouped, and found by whoever holds that subject (an application, in a dispute);
- the e-mail address is blocked for `address_block_days` (keyed hash), a last e-mail
  confirms the deletion, and `account.deleted` is audited.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from idp.accounts import blocked_addresses
from idp.messaging.senders import LOGOUT, SECURITY_EVENT
from idp.portal.password_change import Notification
from idp.storage.repositories import clients as clients_repo
from idp.storage.repositories import deletion as deletion_repo
from idp.storage.repositories import outbox as outbox_repo
from sitekit.texts import N_

if TYPE_CHECKING:
    from idp.oidc.server import HubAuthorizationServer
    from idp.storage.models import Account

__all__ = ["REASONS", "Deleted", "Notification", "delete_account", "deletion_notification",
           "former_account_ref"]

REASONS = ("owner", "inactivity", "operator")
ACCOUNT_REF = "deleted-account"
# What an audit event of a deleted account keeps of its detail: what the event was, never
# who (no session id, typed identifier's hash, redirect URI, locale or request id).
KEPT_DETAIL = frozenset({
    "acr", "amr", "claims", "scope", "grant_type", "token_type", "method", "page_shown",
    "delivered", "reason", "error", "status_code", "was_locked", "grant_id", "channel",
    "field", "grants", "sessions"})


DELETED_SUBJECT = N_("Your account has been deleted")
DELETED_BODY = N_(
    "Hello,\n\nYour account (identifier {identifier}) was deleted on {date}, with the "
    "documents and information it held. The applications you used through it have been "
    "told.\n\nOnly the information needed to answer possible disputes and for the "
    "service's statistics is kept. Your e-mail address is kept for one year: during that "
    "time it cannot be used to open a new account.\n\n"
    "If you did not ask for this deletion, contact the assistance desk at once.\n\n"
    "This message is sent automatically; please do not answer it.")
INACTIVE_DELETED_BODY = N_(
    "Hello,\n\nYour account (identifier {identifier}) was deleted on {date}: nobody had "
    "logged in to it for a long time, and you were warned by e-mail. The documents and "
    "information it held are deleted; the applications you used through it have been "
    "told.\n\nYour e-mail address is kept for one year: during that time it cannot be used "
    "to open a new account.\n\nThis message is sent automatically; please do not answer it.")
WARNING_SUBJECT = N_("Your account will be deleted")
WARNING_BODY = N_(
    "Hello,\n\nNobody has logged in to your account (identifier {identifier}) for a long "
    "time. Unless you log in before {date}, it will be deleted on that day, with the "
    "documents and information it holds (décret 2009-730).\n\nTo keep your account, simply "
    "log in: {url}\n\nThis message is sent automatically; please do not answer it.")


# kind -> (subject, body) of the e-mails (translated by the caller: `deletion_notification`)
MAILS = {"deleted": (DELETED_SUBJECT, DELETED_BODY),
         "inactive_deleted": (DELETED_SUBJECT, INACTIVE_DELETED_BODY),
         "warning": (WARNING_SUBJECT, WARNING_BODY)}


def deletion_notification(translate: Callable[[str], str], kind: str, account: Account,
                          when: int, issuer: str) -> Notification:
    """The e-mail of `kind` (MAILS) to `account`: `when` is the deletion's date (past or
    coming), `translate` a message id's text in the person's language."""
    subject, body = MAILS[kind]
    return Notification(translate(subject), translate(body).format(
        identifier=account.email or account.username,
        date=datetime.fromtimestamp(when, UTC).strftime("%d/%m/%Y"), url=issuer + "/login"))


@dataclass(frozen=True)
class Deleted:
    clients: tuple[str, ...]  # the applications that knew the person
    logout_tokens: int  # back-channel logouts written to the outbox
    account_events: int  # account-purged events written to the outbox
    audit_events: int  # audit events kept without identity


def former_account_ref(server: HubAuthorizationServer, account_subject: str) -> str:
    """The keyed hash that stands for a deleted account in the audit trail."""
    return server.rt.keys.keyed_hash(ACCOUNT_REF, account_subject)


def delete_account(server: HubAuthorizationServer, account_id: int, *, reason: str,
                   notification: Notification | None,
                   still: Callable[[Account], bool] | None = None,
                   notify: Callable[[Account], Notification] | None = None) -> Deleted | None:
    """Delete the account (see the module's text); None when there is none, or when `still`
    (checked on the locked row) says it no longer qualifies — a login since the inactivity
    job chose it. `notification` (or `notify(account)`): the last e-mail, when the account
    has an address."""
    assert reason in REASONS
    rt = server.rt
    # This process's buffered events about the account are written first, so they are
    # anonymised with the others (another process's buffer holds at most a flush interval).
    rt.audit.flush()
    now = rt.clock.now()
    with rt.db.transaction() as s:
        account = deletion_repo.lock_account(s, account_id)
        if account is None or (still is not None and not still(account)):
            return None
        clients = deletion_repo.clients_of_account(s, account_id)
        logouts = events = 0
        for client_id in clients:
            client = clients_repo.get_client(s, client_id)
            if client is None or not (client.backchannel_logout_uri
                                      or client.account_events_uri):
                continue
            sub = server.subjects.subject_of(
                account, client.subject_type, client.sector_identifier or client.client_id, s)
            if client.backchannel_logout_uri:
                claims = server.tokens.logout_claims(client_id=client_id, subject=sub, sid=None)
                outbox_repo.enqueue(s, LOGOUT, client_id, "", json.dumps(claims), now)
                logouts += 1
            if client.account_events_uri:
                claims = server.tokens.account_purged_claims(client_id=client_id, subject=sub)
                outbox_repo.enqueue(s, SECURITY_EVENT, client_id, "", json.dumps(claims), now)
                events += 1
        if account.email:
            blocked_addresses.block(s, rt.keys, account.email,
                                    now + rt.settings.address_block_days * 86400)
        deletion_repo.forget_recipient(
            s, [a for a in (account.email, account.phone_number) if a])
        if notify is not None:
            notification = notify(account)
        if account.email and notification is not None:
            outbox_repo.enqueue(s, "email", account.email, notification.subject,
                                notification.body, now)
        ref = former_account_ref(server, account.subject)
        kept = deletion_repo.anonymise_audit_events(
            s, account_id, lambda detail: _without_identity(detail, ref))
        population = account.population
        deletion_repo.delete_account(s, account_id)
        rt.audit.write(s, "account.deleted", account_ref=ref, reason=reason,
                       population=population, clients=len(clients))
    return Deleted(tuple(clients), logouts, events, kept)


def _without_identity(detail: dict[str, Any], ref: str) -> dict[str, Any]:
    return {**{k: v for k, v in detail.items() if k in KEPT_DETAIL}, "account_ref": ref}
