"""The hub as a federation hub: citizens log in through upstream identity providers (FI).

`providers.py` holds an FI's registry entry, `upstream.py` the relying-party protocol client
(code flow with PKCE against one FI), `metadata.py` the cached discovery documents and key
sets, `id_token.py` the ID token checks of OIDC Core §3.1.3.7, `client_auth.py` the hub's
authentication at an FI's token endpoint, `transport.py` the bounded HTTP calls, `errors.py`
what can go wrong, each error naming its audit event.
`pivot.py` the pivot identity an FI states, validated (`validate_pivot`) and hashed
(`identity_hash`).
"""
