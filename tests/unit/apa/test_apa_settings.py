"""APA's settings: read from APA_* variables, all listed in the README with their defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from clients.apa.settings import ApaSettings, documented_settings

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_lists_every_apa_setting_with_default_and_meaning() -> None:
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `APA_"):
            variable, default, meaning = (c.strip() for c in line.strip("|").split("|", 2))
            rows[variable.strip("`")] = (default.strip("`"), meaning.strip())
    assert rows == {name: (str(default), meaning) for name, default, meaning
                    in documented_settings()}


def test_values_come_from_the_environment() -> None:
    settings = ApaSettings.from_env({"APA_MAX_UPLOAD_BYTES": "1000",
                                     "APA_TECHNICAL_CLIENTS": "soft-a=21750001600019, b=1"})
    assert settings.max_upload_bytes == 1000
    assert settings.sirets_of_clients == {"soft-a": "21750001600019", "b": "1"}
    with pytest.raises(ValueError, match="APA_RESPONSE_DAYS"):
        ApaSettings.from_env({"APA_RESPONSE_DAYS": "many"})
