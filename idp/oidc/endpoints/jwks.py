"""RFC 7517 JWK Set of the hub's public signing keys: current, next and retiring."""


def jwks_document(server) -> dict:  # type: ignore[no-untyped-def]
    return server.rt.keys.public_jwks()
