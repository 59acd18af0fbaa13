"""The `sub` an application sees (OIDC Core §8).

Public: the account's stable subject. Pairwise (§8.1): a different, unlinkable value per
sector, so two applications cannot correlate a citizen by `sub`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def subject_for(
    account_subject: str, subject_type: str, sector_identifier: str, pairwise_salt: bytes
) -> str:
    if subject_type != "pairwise":
        return account_subject
    digest = hmac.new(
        pairwise_salt, f"{sector_identifier}|{account_subject}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
