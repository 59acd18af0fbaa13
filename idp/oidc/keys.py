"""Signing keys: generated on first run, rotated without breaking issued tokens.

Layout of ``keys_dir``: ``manifest.json`` lists every key (kid, alg, state, dates) and each
private key is ``<kid>.pem`` (mode 0600). States: ``next`` (published, not yet signing, so
clients that cache the JWKS already know it), ``current`` (signs), ``retiring`` (published
until ``retire_at``, after the last token it signed has expired), then deleted.
One current and one next key exist per algorithm (RS256 and ES256).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc.jwk import ECKey, KeySet, RSAKey

from idp.clock import Clock

# The keys of the manifest (keys/manifest.json), one dict each.
Manifest = list[dict[str, Any]]

ALGORITHMS = ("RS256", "ES256")
MANIFEST = "manifest.json"
SECRET_BOX = "secret-box.key"
HASH_KEY = "hash.key"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    state: str
    jwk: RSAKey | ECKey


class KeyStore:
    """Keys of one ``keys_dir``, reloaded when another process rotates them."""

    RELOAD_CHECK_INTERVAL = 1.0

    def __init__(self, keys_dir: str | Path, clock: Clock, retire_after: int) -> None:
        self.dir = Path(keys_dir)
        self.clock = clock
        self.retire_after = retire_after
        self._lock = threading.Lock()
        # (mtime, inode) of the manifest last loaded: each write replaces the file (new
        # inode), so a rotation is seen even when file timestamps are coarse.
        self._manifest_id: tuple[int, int] | None = None
        self._checked = 0.0
        self._keys: list[SigningKey] = []
        self._by_kid: dict[str, SigningKey] = {}
        self._jwks: dict[str, Any] = {"keys": []}
        self._keyset = KeySet([])
        self.ensure()

    # Reading -------------------------------------------------------------------------------

    def current(self, alg: str) -> SigningKey:
        self._maybe_reload()
        for key in self._keys:
            if key.alg == alg and key.state == "current":
                return key
        raise LookupError(f"no current {alg} key")

    def problem(self) -> str | None:
        """Why this process cannot sign now (readiness): the keys folder's manifest gone, or
        no current key of an algorithm; None when it can."""
        if not (self.dir / MANIFEST).is_file():
            return f"no {MANIFEST} in the keys folder"
        self._maybe_reload()
        algs = {key.alg for key in self._keys if key.state == "current"}
        missing = sorted(set(ALGORITHMS) - algs)
        return f"no current {', '.join(missing)} key" if missing else None

    def by_kid(self, kid: str) -> SigningKey | None:
        self._maybe_reload()
        return self._by_kid.get(kid)

    def public_key(self, kid: str) -> tuple[str, object] | None:
        """(alg, public key) of a published key, for verifying our own tokens."""
        key = self.by_kid(kid)
        return (key.alg, key.jwk.public_key) if key is not None else None

    def public_jwks(self) -> dict[str, Any]:
        """The published JWK Set: public members only (RFC 7517 §4, never `d`, `p`, `q`...)."""
        self._maybe_reload()
        return self._jwks

    def verification_keyset(self) -> KeySet:
        self._maybe_reload()
        return self._keyset

    def keyed_hash(self, purpose: str, value: str) -> str:
        """HMAC-SHA256 (RFC 2104) of `value` under the keys folder's `hash.key`, separated by
        `purpose`: what the database keeps of a 6-digit code cannot be brute-forced without
        the key, which never leaves the keys folder."""
        message = purpose.encode() + b"\x00" + value.encode()
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()

    def hash_key_bytes(self) -> bytes:
        """hash.key itself, for deriving purpose keys (the audit chain's, idp/audit_chain.py)."""
        return self._hash_key

    def list(self) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = self._read_manifest()["keys"]
        return keys

    # Writing -------------------------------------------------------------------------------

    def ensure(self) -> None:
        """Create the folder and a current + next key per algorithm if missing."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with self._exclusive():
            manifest = self._read_manifest()
            changed = self._purge_retired(manifest)
            for alg in ALGORITHMS:
                states = {k["state"] for k in manifest["keys"] if k["alg"] == alg}
                for state in ("current", "next"):
                    if state not in states:
                        manifest["keys"].append(self._generate(alg, state))
                        changed = True
            if changed:
                self._write_manifest(manifest)
            self._create_once("pairwise.salt", secrets.token_bytes(32))
            # Encrypts secrets the hub must read back (TOTP seeds), never stored in clear.
            self._create_once(SECRET_BOX, Fernet.generate_key())
            # Keys the hashes of short secrets stored for checking only (SMS codes).
            self._create_once(HASH_KEY, secrets.token_bytes(32))
        self.pairwise_salt = (self.dir / "pairwise.salt").read_bytes()
        self.secret_box = Fernet((self.dir / SECRET_BOX).read_bytes().strip())
        self._hash_key = (self.dir / HASH_KEY).read_bytes()
        # Keys the identifiers typed at failed logins (throttle keys, audit events): its own
        # key, derived from hash.key by HKDF (RFC 5869), so no file is added.
        self.identifier_key = identifier_key(self._hash_key)
        self._load()

    def _create_once(self, name: str, content: bytes) -> None:
        path = self.dir / name
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(content)

    def rotate(self) -> Manifest:
        """next → current, current → retiring (published until retire_at), new next."""
        with self._exclusive():
            manifest = self._read_manifest()
            now = self.clock.now()
            for alg in ALGORITHMS:
                for key in manifest["keys"]:
                    if key["alg"] != alg:
                        continue
                    if key["state"] == "current":
                        key["state"] = "retiring"
                        key["retire_at"] = now + self.retire_after
                    elif key["state"] == "next":
                        key["state"] = "current"
                        key["activated_at"] = now
                manifest["keys"].append(self._generate(alg, "next"))
            self._purge_retired(manifest)
            self._write_manifest(manifest)
        self._load()
        rotated: Manifest = manifest["keys"]
        return rotated

    # Internals -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        # Several hub processes may start at once on the same folder: one generates.
        with open(self.dir / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read_manifest(self) -> dict[str, Any]:
        return read_manifest(self.dir)

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        tmp = self.dir / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=2))
        os.replace(tmp, self.dir / MANIFEST)

    def _generate(self, alg: str, state: str) -> dict[str, Any]:
        kid = f"{alg.lower()}-{time.strftime('%Y%m%d')}-{secrets.token_hex(4)}"
        private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
        if alg == "RS256":
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            private = ec.generate_private_key(ec.SECP256R1())
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(self.dir / f"{kid}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        return {"kid": kid, "alg": alg, "state": state, "created_at": self.clock.now()}

    def _purge_retired(self, manifest: dict[str, Any]) -> bool:
        now = self.clock.now()
        keep, changed = [], False
        for key in manifest["keys"]:
            if key["state"] == "retiring" and key.get("retire_at", 0) <= now:
                (self.dir / f"{key['kid']}.pem").unlink(missing_ok=True)
                changed = True
            else:
                keep.append(key)
        manifest["keys"] = keep
        return changed

    def _maybe_reload(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.RELOAD_CHECK_INTERVAL:
            return
        self._checked = now
        try:
            st = (self.dir / MANIFEST).stat()
        except FileNotFoundError:
            return
        if (st.st_mtime_ns, st.st_ino) != self._manifest_id:
            self._load()

    def _load(self) -> None:
        with self._lock:
            path = self.dir / MANIFEST
            st = path.stat()
            self._manifest_id = (st.st_mtime_ns, st.st_ino)
            keys = []
            for entry in self._read_manifest()["keys"]:
                if entry["state"] == "retiring" and entry.get("retire_at", 0) <= self.clock.now():
                    continue
                pem = (self.dir / f"{entry['kid']}.pem").read_bytes()
                cls = RSAKey if entry["alg"] == "RS256" else ECKey
                jwk = cls.import_key(
                    pem, {"kid": entry["kid"], "alg": entry["alg"], "use": "sig"}
                )
                keys.append(SigningKey(entry["kid"], entry["alg"], entry["state"], jwk))
            self._keys = keys
            self._by_kid = {k.kid: k for k in keys}
            self._jwks = {
                "keys": [
                    k.jwk.as_dict(private=False, kid=k.kid, alg=k.alg, use="sig") for k in keys
                ]
            }
            self._keyset = KeySet([k.jwk for k in keys])


def identifier_key(hash_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"idp identifier hmac v1").derive(hash_key)


def existing_identifier_key(keys_dir: str | Path) -> bytes | None:
    """The identifier key of a keys folder, read without creating anything (the read-only
    commands); None when the folder has no hash.key."""
    try:
        return identifier_key((Path(keys_dir) / HASH_KEY).read_bytes())
    except FileNotFoundError:
        return None


def read_manifest(keys_dir: str | Path) -> dict[str, Any]:
    """The manifest of a keys folder as it is (no key is created): {"keys": []} when none."""
    path = Path(keys_dir) / MANIFEST
    if not path.exists():
        return {"keys": []}
    manifest: dict[str, Any] = json.loads(path.read_text())
    return manifest
