"""Every setting is documented, read from IDP_* variables, and listed in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from idp.settings import Settings, documented_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_table_lists_exactly_the_settings_with_their_defaults() -> None:
    rows = re.findall(r"^\| `(IDP_[A-Z0-9_]+)` \| `([^`]*)` \| (.+) \|$", README.read_text(),
                      re.MULTILINE)
    readme = {name: (default, meaning) for name, default, meaning in rows}
    code = {name: (str(default), meaning) for name, default, meaning in documented_settings()}
    assert readme == code


def test_every_setting_has_a_meaning() -> None:
    assert all(meaning.strip() for _, _, meaning in documented_settings())


def test_environment_variables_are_read_and_converted() -> None:
    settings = Settings.from_env({"IDP_CODE_TTL": "30", "IDP_CLIENT_CACHE_TTL": "0.5",
                                  "IDP_ISSUER": "https://idp.example.gouv.fr"})
    assert settings.code_ttl == 30 and settings.client_cache_ttl == 0.5
    assert settings.secure_cookies


@pytest.mark.parametrize(("variable", "value"), [
    ("IDP_CODE_TTL", "soon"), ("IDP_CODE_TTL", "120"), ("IDP_ACCESS_TOKEN_ALG", "HS256"),
    ("IDP_ISSUER", "https://idp.example/"),
])
def test_invalid_values_are_refused_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ValueError, match=variable):
        Settings.from_env({variable: value})
