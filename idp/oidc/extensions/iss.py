"""RFC 9207: the `iss` parameter in every authorization response, errors included (§2)."""

from authlib.common.urls import add_params_to_uri


def add_issuer(location: str, issuer: str) -> str:
    uri: str = add_params_to_uri(location, [("iss", issuer)])
    return uri
