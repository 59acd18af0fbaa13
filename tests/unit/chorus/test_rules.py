"""Chorus's pure rules: the status table (every rule of CHORUS.md), structure identifiers,
settings."""

from __future__ import annotations

import pytest

from clients.chorus.identifiers import TYPES, IdentifierError, check
from clients.chorus.settings import ChorusSettings
from clients.chorus.statuses import (
    MOTIF_MAX,
    STATUSES,
    TRANSITIONS,
    Refusal,
    check_change,
)
from sitekit.settings import SettingError


def test_the_table_covers_every_status_and_points_only_to_known_ones() -> None:
    assert set(TRANSITIONS) == set(STATUSES)
    for targets in TRANSITIONS.values():
        assert set(targets) <= set(STATUSES)


def test_the_official_example_from_mise_a_disposition() -> None:
    assert set(TRANSITIONS["MISE_A_DISPOSITION"]) >= {
        "SUSPENDUE", "REJETEE", "MANDATEE", "MISE_EN_PAIEMENT", "COMPTABILISEE",
        "MISE_A_DISPOSITION_COMPTABLE", "A_RECYCLER"}


def test_statuses_go_forward_only() -> None:
    assert "MANDATEE" not in TRANSITIONS["MISE_EN_PAIEMENT"]
    assert TRANSITIONS["MISE_EN_PAIEMENT"] == () and TRANSITIONS["REJETEE"] == ()
    with pytest.raises(Refusal) as refused:
        check_change("MISE_EN_PAIEMENT", "MANDATEE", None, "M1")
    assert refused.value.code == "TRANSITION_INTERDITE"


@pytest.mark.parametrize(("current", "new"), [
    (current, new) for current in STATUSES for new in STATUSES
    if new not in TRANSITIONS[current]])
def test_every_change_outside_the_table_is_refused(current: str, new: str) -> None:
    with pytest.raises(Refusal) as refused:
        check_change(current, new, "motif", "M1" if new == "MANDATEE" else None)
    assert refused.value.code == "TRANSITION_INTERDITE"


@pytest.mark.parametrize("new", ["REJETEE", "SUSPENDUE"])
def test_a_motif_is_required_to_reject_or_suspend(new: str) -> None:
    for motif in (None, "", "   "):
        with pytest.raises(Refusal) as refused:
            check_change("MISE_A_DISPOSITION", new, motif, None)
        assert refused.value.code == "MOTIF_OBLIGATOIRE"
    assert check_change("MISE_A_DISPOSITION", new, " Pièce manquante ", None) == (
        "Pièce manquante", None)


def test_a_motif_is_at_most_255_characters_without_control_characters() -> None:
    assert check_change("MISE_A_DISPOSITION", "REJETEE", "x" * MOTIF_MAX, None)
    for motif in ("x" * (MOTIF_MAX + 1), "a\x00b", "a\x1bb"):
        with pytest.raises(Refusal) as refused:
            check_change("MISE_A_DISPOSITION", "REJETEE", motif, None)
        assert refused.value.code == "MOTIF_INVALIDE"


def test_mandatee_carries_its_mandate_number_and_only_it_does() -> None:
    with pytest.raises(Refusal) as refused:
        check_change("SERVICE_FAIT", "MANDATEE", None, None)
    assert refused.value.code == "NUMERO_DP_MANDAT_OBLIGATOIRE"
    assert check_change("SERVICE_FAIT", "MANDATEE", None, "DP-2026-0042") == (
        None, "DP-2026-0042")
    with pytest.raises(Refusal) as refused:
        check_change("SERVICE_FAIT", "MANDATEE", None, "x" * 51)
    assert refused.value.code == "NUMERO_DP_MANDAT_INVALIDE"
    with pytest.raises(Refusal) as refused:
        check_change("MISE_A_DISPOSITION", "SERVICE_FAIT", None, "DP-1")
    assert refused.value.code == "NUMERO_DP_MANDAT_INATTENDU"


def test_an_unknown_status_is_told_as_such() -> None:
    with pytest.raises(Refusal) as refused:
        check_change("MISE_A_DISPOSITION", "PAYEE'; DROP", None, None)
    assert refused.value.code == "STATUT_INCONNU"


@pytest.mark.parametrize(("kind", "raw", "value"), [
    ("SIRET", "259 000 966 00020", "25900096600020"),
    ("SIRET", "21750001600019", "21750001600019"),
    ("UE_HORS_FRANCE", "de123456789", "DE123456789"),
    ("HORS_UE", "CH-123.456.789", "CH-123.456.789"),
    ("RIDET", "1234567001", "1234567001"),
    ("TAHITI", "A12B34001", "A12B34001"),
    ("AUTRE", "ASSO-75-0042", "ASSO-75-0042"),
    ("PARTICULIER", "P12345", "P12345"),
])
def test_identifiers_accepted(kind: str, raw: str, value: str) -> None:
    assert check(kind, raw) == value


@pytest.mark.parametrize(("kind", "raw"), [
    ("SIRET", "25900096600021"),  # wrong key
    ("SIRET", "2590009660002"), ("SIRET", "2590009660002A"), ("SIRET", "x" * 100_000),
    ("SIRET", "2590\x0009660002"), ("UE_HORS_FRANCE", "123456"), ("RIDET", "123"),
    ("TAHITI", "ABCDEFGHI"), ("AUTRE", "é"), ("INCONNU", "12345678901234"),
    ("PARTICULIER", "'; DROP TABLE"),
])
def test_identifiers_refused_with_a_message(kind: str, raw: str) -> None:
    with pytest.raises(IdentifierError) as refused:
        check(kind, raw)
    assert str(refused.value.message)


def test_types_are_chorus_pros() -> None:
    assert list(TYPES) == ["SIRET", "UE_HORS_FRANCE", "HORS_UE", "RIDET", "TAHITI", "AUTRE",
                           "PARTICULIER"]


def test_settings_from_the_environment() -> None:
    settings = ChorusSettings.from_env({"CHORUS_TECHNICAL_SECRET_DAYS": "424",
                                        "CHORUS_EXPIRY_NOTICE_DAYS": "7,30"})
    assert settings.technical_secret_days == 424 and settings.notice_days == (30, 7)
    assert ChorusSettings().technical_secret_days == 365  # seed 002: one year
    for env in ({"CHORUS_EXPIRY_NOTICE_DAYS": "trente"}, {"CHORUS_EXPIRY_NOTICE_DAYS": "0"},
                {"CHORUS_TECHNICAL_SECRET_DAYS": "0"}, {"CHORUS_BASE_URL": "http://x.example"}):
        with pytest.raises(SettingError):
            ChorusSettings.from_env(env)


def test_readme_lists_every_chorus_setting_with_default_and_meaning() -> None:
    from pathlib import Path

    from clients.chorus.settings import documented_settings

    readme = Path(__file__).resolve().parents[3] / "README.md"
    rows = {}
    for line in readme.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `CHORUS_"):
            variable, default, meaning = (c.strip() for c in line.strip("|").split("|", 2))
            rows[variable.strip("`")] = (default.strip("`"), meaning.strip())
    assert rows == {name: (str(default), meaning) for name, default, meaning
                    in documented_settings()}
