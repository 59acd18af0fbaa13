"""OpenID Connect Back-Channel Logout 1.0 §2.5: a signed logout token POSTed to each client
of the ended session that registered a backchannel_logout_uri."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import httpx

from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import sessions as sessions_repo

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from idp.oidc.server import HubAuthorizationServer

log = logging.getLogger("idp.logout")


def logout_deliveries(server: HubAuthorizationServer, sid: str) -> list[tuple[str, str, str]]:
    """(client_id, backchannel_logout_uri, logout_token) for the session's clients."""
    rt = server.rt
    deliveries = []
    with rt.db.transaction() as s:
        for link in sessions_repo.session_clients(s, sid):
            client = server.query_client(link.client_id)
            account = accounts_repo.get_account(s, link.account_id)
            if client is None or account is None or not client.backchannel_logout_uri:
                continue
            token = server.tokens.logout_token(
                client_id=client.client_id, subject=server.subject_of(account, client, s), sid=sid
            )
            deliveries.append((client.client_id, client.backchannel_logout_uri, token))
        sessions_repo.forget_session_clients(s, sid)
    return deliveries


def account_client_logout_deliveries(server: HubAuthorizationServer, s: Session,
                                     account_id: int, client_id: str
                                     ) -> list[tuple[str, str, str]]:
    """(client_id, backchannel_logout_uri, logout_token) for each of the account's browser
    sessions that `client_id` knows (it received tokens in them), in the caller's
    transaction `s`; those session links are forgotten (a later logout of the session sends
    nothing more to it). Empty when the client is gone or registered no
    backchannel_logout_uri. For the person who withdraws an application's access or deletes
    the account: the application ends its sessions of that person (§2.5, one token per sid,
    with `sub` and `sid`)."""
    sids = sessions_repo.account_client_sessions(s, account_id, client_id)
    sessions_repo.forget_account_client(s, account_id, client_id)
    client = server.query_client(client_id)
    account = accounts_repo.get_account(s, account_id)
    if not sids or client is None or account is None or not client.backchannel_logout_uri:
        return []
    subject = server.subject_of(account, client, s)
    return [(client.client_id, client.backchannel_logout_uri,
             server.tokens.logout_token(client_id=client.client_id, subject=subject, sid=sid))
            for sid in sorted(sids)]


async def deliver(server: HubAuthorizationServer, deliveries: list[tuple[str, str, str]]) -> None:
    if not deliveries:
        return
    timeout = server.rt.settings.backchannel_logout_timeout
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
        for client_id, uri, token in deliveries:
            try:
                response = await http.post(uri, data={"logout_token": token},
                                           headers={"Cache-Control": "no-store"})
                ok = response.status_code == 200
            except httpx.HTTPError as exc:
                log.warning("back-channel logout to %s failed: %s", client_id, exc)
                ok = False
            server.rt.audit.record("logout.backchannel", client_id=client_id, delivered=ok)
