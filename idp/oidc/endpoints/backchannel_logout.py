"""OpenID Connect Back-Channel Logout 1.0 §2.5: a signed logout token POSTed to each client
of the ended session that registered a backchannel_logout_uri."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import httpx

from idp.storage.repositories import accounts as accounts_repo
from idp.storage.repositories import sessions as sessions_repo

if TYPE_CHECKING:
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
