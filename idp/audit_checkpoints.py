"""Signed checkpoints of the audit chain (issue 16, item 6; idp/audit_chain.py).

A checkpoint is a compact JWS (RFC 7515) over (stream, seq, chain, at) signed with the hub's
current ES256 key. The public half of every key that signed one is kept in the keys folder
(``audit-keys.json``), so checkpoints stay verifiable after the key is rotated out of the JWKS;
verification uses that file only, never a key the database could hold.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey, RSAKey

from idp.oidc.jws import sign_compact, verify_compact
from idp.oidc.keys import KeyStore

RETAINED_KEYS = "audit-keys.json"
CHECKPOINT_TYP = "audit-checkpoint+jwt"
CHECKPOINT_ALG = "ES256"


class Checkpoints:
    """Signs checkpoints with the hub's current ES256 key, keeping its public half."""

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys
        self._retained: set[str] = set()

    def sign(self, stream: str, seq: int, chain: str, at: int) -> dict[str, Any]:
        """A row of audit_checkpoints for the head (stream, seq, chain)."""
        key = self.keys.current(CHECKPOINT_ALG)
        if key.kid not in self._retained:
            retain_public_key(self.keys.dir, key.kid, key.alg, key.jwk)
            self._retained.add(key.kid)
        private_key = key.jwk.private_key
        assert private_key is not None
        claims = {"stream": stream, "seq": seq, "chain": chain, "at": at}
        token = sign_compact(claims, key.alg, key.kid, CHECKPOINT_TYP, private_key)
        return {"stream": stream, "seq": seq, "at": at, "kid": key.kid, "jws": token}


def retain_public_key(keys_dir: Path, kid: str, alg: str, jwk: RSAKey | ECKey) -> None:
    """Add the public JWK of `kid` to audit-keys.json once (several processes: a lock)."""
    path = keys_dir / RETAINED_KEYS
    with open(keys_dir / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            kept = _read_retained(keys_dir)
            if any(k.get("kid") == kid for k in kept):
                return
            kept.append(jwk.as_dict(private=False, kid=kid, alg=alg, use="sig"))
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"keys": kept}, indent=2))
            os.replace(tmp, path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read_retained(keys_dir: Path) -> list[dict[str, Any]]:
    try:
        keys: list[dict[str, Any]] = json.loads((keys_dir / RETAINED_KEYS).read_text())["keys"]
    except FileNotFoundError:
        return []
    return keys


def checkpoint_verifier(keys_dir: str | Path) -> Callable[[str], dict[str, Any] | None]:
    """verify(jws) -> claims or None, with the public keys kept in audit-keys.json (never
    anything the database holds)."""
    public: dict[str, tuple[str, object]] = {}
    for entry in _read_retained(Path(keys_dir)):
        cls = ECKey if entry.get("kty") == "EC" else RSAKey
        public[entry["kid"]] = (entry["alg"], cls.import_key(entry).public_key)

    def verify(token: str) -> dict[str, Any] | None:
        found = verify_compact(token, public.get)
        if found is None or found[0].get("typ") != CHECKPOINT_TYP:
            return None
        return found[1]

    return verify
