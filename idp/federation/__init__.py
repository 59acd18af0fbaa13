"""Upstream identity providers (FI) and the federation of citizens.

`providers.py` holds an FI's registry entry and the rules of its registration, `registry.py`
each process's view of the FIs and their shared health (refreshed across processes, probed
when unavailable), `stored.py` how an entry is kept (secret sealed), `health.py` what
`/healthz?detail=1` tells; `upstream.py` the relying-party protocol client (code flow with
PKCE against one FI), `metadata.py` the cached discovery documents and key sets,
`id_token.py` the ID token checks of OIDC Core §3.1.3.7, `client_auth.py` the hub's
authentication at an FI's token endpoint, `transport.py` the bounded HTTP calls, `errors.py`
what can go wrong, each error naming its audit event.
`pivot.py` the pivot identity an FI states, validated (`validate_pivot`) and hashed
(`identity_hash`).
"""
