"""The `sub` an application sees (OIDC Core §8): public, or pairwise per sector (§8.1)."""

from __future__ import annotations

from idp.oidc.subject import subject_for

ACCOUNT = "6f1c2d9e-0b7a-4f5e-9a51-2c3d4e5f6a7b"
SALT = b"\x01" * 32


def test_public_clients_see_the_account_subject() -> None:
    assert subject_for(ACCOUNT, "public", "apa.example", SALT) == ACCOUNT


def test_pairwise_subjects_differ_per_sector() -> None:
    assert (subject_for(ACCOUNT, "pairwise", "apa.example", SALT)
            != subject_for(ACCOUNT, "pairwise", "chorus.example", SALT))


def test_pairwise_subject_is_stable_for_one_sector() -> None:
    first = subject_for(ACCOUNT, "pairwise", "apa.example", SALT)
    assert first == subject_for(ACCOUNT, "pairwise", "apa.example", bytes(SALT))


def test_pairwise_subject_does_not_reveal_the_account_subject() -> None:
    pairwise = subject_for(ACCOUNT, "pairwise", "apa.example", SALT)
    assert ACCOUNT not in pairwise and len(pairwise) == 43  # base64url of SHA-256, no padding


def test_pairwise_subjects_differ_per_account_in_one_sector() -> None:
    other = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert (subject_for(ACCOUNT, "pairwise", "apa.example", SALT)
            != subject_for(other, "pairwise", "apa.example", SALT))


def test_pairwise_subject_depends_on_the_salt() -> None:
    assert (subject_for(ACCOUNT, "pairwise", "apa.example", SALT)
            != subject_for(ACCOUNT, "pairwise", "apa.example", b"\x02" * 32))
