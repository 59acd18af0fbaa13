import hashlib


def sha256_hex(value: str) -> str:
    """Digest under which high-entropy secrets (codes, tokens, session ids) are stored.

    These values carry 256 bits of randomness, so a fast hash is enough: a slow password
    hash would add nothing but latency on the token endpoint.
    """
    return hashlib.sha256(value.encode()).hexdigest()
