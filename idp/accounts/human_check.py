"""Is a person filling in the registration form? (seed 004 §1, "Êtes-vous un robot ?")

Self-hosted, no third party, no image puzzle: an ALTCHA proof of work (the `altcha` library,
its v1 challenge: find the number n ≤ maxnumber with SHA-256(salt + n) = challenge). The
challenge is signed by HMAC-SHA256 under a key derived from the keys folder's `hash.key`
(`KeyStore.keyed_hash`), expires after CHALLENGE_TTL seconds (an `expires` parameter inside
the signed salt, checked against the hub's clock) and is accepted once: its signature is kept
in `used_challenges` until it expires.

Without JavaScript the proof cannot be computed; the form then carries a signed time stamp
(when the form was shown) and is accepted without proof only if it was shown at least
NO_PROOF_DELAY seconds before, and the client address sent fewer than NO_PROOF_PER_HOUR
such forms in the hour (counted in the login throttle table).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from altcha.v1 import ChallengeOptions, create_challenge, verify_solution

from idp.storage.repositories import throttle as throttle_repo
from idp.storage.repositories import used_challenges as used_repo

if TYPE_CHECKING:
    from idp.clock import Clock
    from idp.oidc.keys import KeyStore
    from sitekit.storage.database import Database

CHALLENGE_TTL = 600  # seconds a challenge may be solved and sent in
# SHA-256 tries: about 50,000 on average, a second or two of a phone's Web Crypto, far more
# for a robot sending forms by the thousand.
MAX_NUMBER = 100_000
NO_PROOF_DELAY = 8  # seconds a form without proof must have been shown
NO_PROOF_PER_HOUR = 3  # forms without proof accepted per client address and hour
STAMP_TTL = 3600  # a form shown longer ago is shown again
MAX_PAYLOAD = 2000  # characters of a solution: a real one has about 300


class Verdict(Enum):
    PASSED = "passed"
    MISSING = "missing"  # no proof, and the form came back too fast (or without its stamp)
    INVALID = "invalid"  # a wrong solution, or a challenge we did not sign
    EXPIRED = "expired"  # a challenge or form older than allowed: solve the new one
    REPLAYED = "replayed"  # a challenge already used
    TOO_MANY = "too_many"  # too many forms without proof from this address


@dataclass(frozen=True)
class HumanCheck:
    db: Database
    clock: Clock
    keys: KeyStore

    def hmac_key(self) -> str:
        return self.keys.keyed_hash("altcha-hmac-key", "v1")

    def challenge(self) -> dict[str, Any]:
        """A new challenge, as the page gives it to the solver (ALTCHA's JSON fields)."""
        expires = datetime.fromtimestamp(self.clock.now() + CHALLENGE_TTL, UTC)
        made = create_challenge(ChallengeOptions(
            algorithm="SHA-256", max_number=MAX_NUMBER, hmac_key=self.hmac_key(),
            expires=expires))
        return made.to_dict()

    def stamp(self) -> str:
        """When the form is shown, signed: `<epoch>.<hmac>`."""
        now = str(self.clock.now())
        return f"{now}.{self.keys.keyed_hash('registration-form', now)}"

    def verify(self, payload: str, stamp: str, address: str | None) -> Verdict:
        """The proof sent with the form (`payload`, base64 JSON), else the fallback."""
        if payload:
            return self._verify_solution(payload)
        return self._without_proof(stamp, address)

    def _verify_solution(self, payload: str) -> Verdict:
        if len(payload) > MAX_PAYLOAD:
            return Verdict.INVALID
        try:
            decoded = json.loads(base64.b64decode(payload, validate=True))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return Verdict.INVALID
        if not isinstance(decoded, dict) or not all(
                isinstance(decoded.get(k), str) for k in ("salt", "signature", "challenge")):
            return Verdict.INVALID
        # The library's own expiry uses the system time; ours, the hub's clock.
        ok, _ = verify_solution(payload, self.hmac_key(), False)
        if not ok:
            return Verdict.INVALID
        # The `expires` parameter inside the signed salt ("<hex>?expires=<epoch>&").
        query = decoded["salt"].partition("?")[2]
        expires_values = parse_qs(query).get("expires") or ["0"]
        if not expires_values[0].isdigit():
            return Verdict.INVALID
        expires = int(expires_values[0])
        if expires <= self.clock.now():
            return Verdict.EXPIRED
        with self.db.transaction() as s:
            spent = used_repo.spend(s, decoded["signature"][:128], expires)
        return Verdict.PASSED if spent else Verdict.REPLAYED

    def _without_proof(self, stamp: str, address: str | None) -> Verdict:
        shown, _, signature = stamp.partition(".")
        if not shown.isdigit() or len(shown) > 12 or not hmac.compare_digest(
                signature.encode(), self.keys.keyed_hash("registration-form", shown).encode()):
            return Verdict.MISSING
        now = self.clock.now()
        if now - int(shown) > STAMP_TTL:
            return Verdict.EXPIRED
        if now - int(shown) < NO_PROOF_DELAY:
            return Verdict.MISSING
        key = "registration-no-proof:" + (address or "unknown")[:200]
        with self.db.transaction() as s:
            row = throttle_repo.record_failure(s, key, now, 3600, NO_PROOF_PER_HOUR + 1, 3600)
            over = row.failures > NO_PROOF_PER_HOUR
        return Verdict.TOO_MANY if over else Verdict.PASSED
