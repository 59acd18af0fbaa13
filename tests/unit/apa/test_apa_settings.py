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


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("APA_BASE_URL", "apa.example", "not an absolute URL"),
    ("APA_HUB_ISSUER", "http://hub.example", "plain http is only allowed on loopback"),
    ("APA_DATABASE_URL", "nonsense", "not a database URL"),
    ("APA_PAGE_SIZE", "0", "must be more than 0"),
    ("APA_PURGE_INTERVAL", "-1", "must be 0 or more"),
    ("APA_PROCESSOR", "respond", "give module:function"),
])
def test_a_bad_value_is_one_line_naming_the_variable(variable: str, value: str,
                                                     says: str) -> None:
    from idp.settings import SettingError

    with pytest.raises(SettingError) as refused:
        ApaSettings.from_env({variable: value})
    assert str(refused.value).startswith(variable) and says in str(refused.value)
    assert "\n" not in str(refused.value)
