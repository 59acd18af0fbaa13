"""A citizen's account and the identity providers (FI) it is linked with (seed 004 §8, §11).

- Merge ("J'ai déjà un compte"): a citizen arrived through an FI (an account the FI login
  created: no usable password) proves an existing account is theirs (its name AND its
  password, through accounts/authentication.py, throttled like a login; never the address
  alone). One transaction: the FI links, the pivot identity and the history (audit events)
  move to that account, and the FI-created account is deleted, with, by the foreign keys'
  cascade, its sessions, grants (its refresh and access tokens stop working: a token whose
  grant is gone is revoked, storage/repositories/tokens.py), consents (applications ask
  again) and stored pairwise subjects (applications now know the person under the local
  account's `sub`).
- Attach ("Lier un fournisseur d'identité"): a logged-in account links the FI subject it
  just authenticated as. One person, one account: refused when that subject or that pivot
  identity is another account's, unless that other account is an FI-created one (no
  password), which is then merged as above (the person proved both).
- Detach ("Supprimer ma liaison"): refused for the last way in (no usable password and no
  other link). The pivot identity stays with the account when its last link goes: the
  unique `identity_hash` keeps a second account from taking it, and a later login through
  any FI stating it finds this account again (accounts/citizens.py).

Refusals are LinkRefused with a `reason` (REASONS); the web layer picks the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from idp.accounts import citizens
from idp.audit import AuditLog
from idp.clock import Clock
from idp.federation.pivot import PivotIdentity, identity_hash
from idp.storage.repositories import account_merge as merge_repo
from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import federation_links as links_repo
from sitekit.storage.database import Database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from idp.storage.models import Account

# How recent a login (or a password typed again) must be to link an FI to the account.
RECENT_AUTHENTICATION = 600

REASONS = (
    "inactive",            # the account to link or merge into is disabled or pending
    "identity_differs",    # it already has another pivot identity
    "identity_elsewhere",  # the pivot identity is another account's (with a password)
    "subject_elsewhere",   # the FI subject is linked to another account (with a password)
    "not_federated",       # the account to merge is no longer an FI-created one
    "last_way_in",         # removing the link would leave no way to log in
    "unknown_link",        # no such link on this account
)


class LinkRefused(Exception):
    def __init__(self, reason: str) -> None:
        assert reason in REASONS
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkView:
    id: int
    provider_id: str
    first_used_at: int
    last_used_at: int


@dataclass(frozen=True)
class Attached:
    already: bool  # the subject was linked to this account before
    merged_account_id: int | None  # an FI-created account of the same person, merged


def federated_only(account: Account) -> bool:
    """An account an FI login created and that has no password of its own."""
    return account.population == "citizen" and not accounts_repo.logs_in_with_password(
        account.password_hash)


def needs_finishing(account: Account) -> bool:
    """Seed 004 §11: an FI-created account is offered to give (or confirm) its e-mail address
    and a password of its own, or to be linked to the account the person already has; as
    long as it has no password, it is offered (its address may be the FI's)."""
    return federated_only(account)


def links_of(db: Database, account_id: int) -> list[LinkView]:
    with db.read() as s:
        return [LinkView(link.id, link.provider_id, link.first_used_at, link.last_used_at)
                for link in links_repo.links_of_account(s, account_id)]


def session_ids(db: Database, account_id: int) -> list[str]:
    """The `sid`s of the account's browser sessions (their clients are told of a merge)."""
    with db.read() as s:
        return merge_repo.session_ids(s, account_id)


def merge_into(db: Database, audit: AuditLog, fi_account_id: int, local_account_id: int,
               ip: str | None) -> None:
    """The FI-created account `fi_account_id` merged into `local_account_id`, whose
    password the caller verified. LinkRefused (audited)."""
    audit.flush()  # the FI-created account's buffered events move with the rest
    try:
        with db.transaction() as s:
            fi_account = accounts_repo.get_account(s, fi_account_id)
            local = accounts_repo.get_account(s, local_account_id)
            if fi_account is None or local is None or local.id == fi_account.id:
                raise LinkRefused("not_federated")
            _merge(s, fi_account, local)
            audit.write(s, "account.merged", account_id=local.id, ip=ip,
                        merged_account=fi_account_id)
    except LinkRefused as refused:
        audit.record("account.merge_refused", account_id=fi_account_id, ip=ip,
                     reason=refused.reason)
        raise


def attach(db: Database, clock: Clock, audit: AuditLog, account_id: int, provider_id: str,
           provider_sub: str, pivot: PivotIdentity) -> Attached:
    """Link the FI subject the logged-in `account_id` just authenticated as. LinkRefused
    (audited)."""
    digest = identity_hash(pivot)
    now = clock.now()
    try:
        with db.transaction() as s:
            account = accounts_repo.get_account(s, account_id)
            if account is None or not _active(account):
                raise LinkRefused("inactive")
            if account.identity_hash not in (None, digest):
                raise LinkRefused("identity_differs")
            merged: int | None = None
            linked = links_repo.find_linked_account(s, provider_id, provider_sub)
            if linked is not None and linked[1].id == account.id:
                links_repo.record_link_use(s, linked[0].id, now)
                return Attached(already=True, merged_account_id=None)
            if linked is not None:
                other = linked[1]
                if not federated_only(other) or other.identity_hash != digest:
                    raise LinkRefused("subject_elsewhere")
                merged = _merge(s, other, account)
            holder = accounts_repo.find_by_identity_hash(s, digest)
            if holder is not None and holder.id != account.id:
                if not federated_only(holder):
                    raise LinkRefused("identity_elsewhere")
                merged = _merge(s, holder, account)
            s.refresh(account)
            if account.identity_hash is None:
                accounts_repo.set_pivot_identity(s, account.id, citizens.pivot_columns(pivot))
            if links_repo.find_linked_account(s, provider_id, provider_sub) is None:
                links_repo.link_account(s, provider_id, provider_sub, account.id, now)
            audit.write(s, "federation.linked", account_id=account.id, fi=provider_id,
                        merged_account=merged)
            return Attached(already=False, merged_account_id=merged)
    except (accounts_repo.IdentityTaken, links_repo.LinkTaken):
        # A concurrent first login of this person through an FI won the race.
        refused = LinkRefused("identity_elsewhere")
    except LinkRefused as caught:
        refused = caught
    audit.record("federation.link_refused", account_id=account_id, fi=provider_id,
                 reason=refused.reason)
    raise refused


def detach(db: Database, audit: AuditLog, account_id: int, link_id: int,
           ip: str | None) -> str:
    """Remove one of the account's FI links; the provider id it was for. LinkRefused."""
    with db.transaction() as s:
        account = accounts_repo.get_account(s, account_id)
        links = links_repo.links_of_account(s, account_id)
        link = next((link for link in links if link.id == link_id), None)
        if account is None or link is None:
            raise LinkRefused("unknown_link")
        if len(links) == 1 and not accounts_repo.logs_in_with_password(account.password_hash):
            audit.record("federation.unlink_refused", account_id=account_id,
                         fi=link.provider_id, ip=ip)
            raise LinkRefused("last_way_in")
        merge_repo.delete_link(s, account_id, link_id)
        audit.write(s, "federation.unlinked", account_id=account_id, fi=link.provider_id,
                    ip=ip)
        return link.provider_id


def _active(account: Account) -> bool:
    return not account.disabled and account.pending_until is None


def _merge(s: Session, fi_account: Account, local: Account) -> int:
    """Move `fi_account`'s links, pivot identity and history to `local`, then delete it."""
    if not _active(local):
        raise LinkRefused("inactive")
    if not federated_only(fi_account) or fi_account.disabled:
        raise LinkRefused("not_federated")
    if local.identity_hash not in (None, fi_account.identity_hash):
        raise LinkRefused("identity_differs")
    pivot = {column: getattr(fi_account, column) for column in accounts_repo.PIVOT_COLUMNS}
    fi_id = int(fi_account.id)
    merge_repo.move_links(s, fi_id, local.id)
    merge_repo.move_history(s, fi_id, local.id)
    merge_repo.delete_merged_account(s, fi_id)
    s.expunge(fi_account)
    if local.identity_hash is None and pivot["identity_hash"] is not None:
        accounts_repo.set_pivot_identity(s, local.id, pivot)
    return fi_id
