"""Every setting is documented, read from IDP_* variables, and listed in the README."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from idp.settings import SettingError, Settings, documented_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_settings() -> dict[str, tuple[str, str]]:
    """{variable: (default, meaning)} from the README's `Variable | Default | Meaning` table."""
    rows: dict[str, tuple[str, str]] = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `IDP_"):
            continue
        variable, default, meaning = (c.strip() for c in line.strip().strip("|").split("|", 2))
        assert variable.startswith("`") and variable.endswith("`"), line
        assert default.startswith("`") and default.endswith("`"), line
        assert variable[1:-1] not in rows, f"{variable} listed twice"
        rows[variable[1:-1]] = (default[1:-1], meaning)
    return rows


def test_readme_table_lists_exactly_the_settings_with_their_defaults() -> None:
    readme = {name: default for name, (default, _) in readme_settings().items()}
    code = {name: str(default) for name, default, _ in documented_settings()}
    assert readme == code


def test_readme_table_gives_the_meaning_of_each_setting() -> None:
    readme = {name: meaning for name, (_, meaning) in readme_settings().items()}
    assert readme == {name: meaning for name, _, meaning in documented_settings()}


def test_every_field_is_a_documented_setting() -> None:
    names = ["IDP_" + f.name.upper() for f in dataclasses.fields(Settings)]
    assert [name for name, _, _ in documented_settings()] == names
    for name, _, meaning in documented_settings():
        assert meaning.strip(), f"{name} has no meaning"


def test_defaults_are_valid_settings() -> None:
    assert Settings.from_env({}) == Settings()


def test_environment_variables_are_read() -> None:
    settings = Settings.from_env({"IDP_ISSUER": "https://idp.example.gouv.fr",
                                  "IDP_SESSION_COOKIE": "hub", "IDP_LOG_LEVEL": "debug"})
    assert (settings.issuer, settings.session_cookie, settings.log_level) == (
        "https://idp.example.gouv.fr", "hub", "debug")


def test_integer_and_float_variables_are_converted() -> None:
    settings = Settings.from_env({"IDP_CODE_TTL": "30", "IDP_CLIENT_CACHE_TTL": "0.5",
                                  "IDP_PURGE_INTERVAL": "12"})
    assert settings.code_ttl == 30 and type(settings.code_ttl) is int
    assert settings.client_cache_ttl == 0.5 and type(settings.client_cache_ttl) is float
    assert settings.purge_interval == 12.0 and type(settings.purge_interval) is float


def test_variables_without_the_prefix_are_ignored() -> None:
    assert Settings.from_env({"CODE_TTL": "30", "idp_code_ttl": "30"}).code_ttl == 60


def test_keyword_overrides_win_over_the_environment() -> None:
    assert Settings.from_env({"IDP_CODE_TTL": "30"}, code_ttl=20).code_ttl == 20


def test_an_https_issuer_makes_cookies_secure() -> None:
    assert Settings.from_env({"IDP_ISSUER": "https://idp.example.gouv.fr"}).secure_cookies
    assert not Settings.from_env({"IDP_ISSUER": "http://127.0.0.1:8000"}).secure_cookies


@pytest.mark.parametrize(("variable", "value"), [
    ("IDP_CODE_TTL", "soon"),
    ("IDP_ACCESS_TOKEN_TTL", "1.5"),
    ("IDP_CLIENT_CACHE_TTL", "two"),
    ("IDP_SMTP_PORT", ""),
    ("IDP_DB_POOL_SIZE", "two"),
    ("IDP_DB_POOL_SIZE", "1e3"),
])
def test_a_value_of_the_wrong_type_is_refused_naming_the_variable(variable: str,
                                                                  value: str) -> None:
    with pytest.raises(ValueError, match=variable):
        Settings.from_env({variable: value})


@pytest.mark.parametrize(("variable", "value"), [
    ("IDP_CODE_TTL", "120"),
    ("IDP_CODE_TTL", "0"),
    ("IDP_ACCESS_TOKEN_ALG", "HS256"),
    ("IDP_DEFAULT_ID_TOKEN_ALG", "none"),
    ("IDP_EXPIRED_PASSWORD_ACTION", "ignore"),
    ("IDP_ISSUER", "https://idp.example/"),
    ("IDP_ISSUER", "http://idp.example"),
    ("IDP_ISSUER", "idp.example"),
    ("IDP_ISSUER", "https://idp.example?x=1"),
    ("IDP_DATABASE_URL", "not a url"),
    ("IDP_DATABASE_URL", "mysql://db/idp"),
    ("IDP_LOG_LEVEL", "verbose"),
    ("IDP_ACCESS_TOKEN_TTL", "0"),
    ("IDP_THREADS", "-1"),
    ("IDP_SMTP_PORT", "70000"),
    ("IDP_PURGE_INTERVAL", "-1"),
    ("IDP_DB_POOL_SIZE", "0"),
    ("IDP_DB_POOL_SIZE", "-3"),
])
def test_an_invalid_value_is_refused_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ValueError, match=variable):
        Settings.from_env({variable: value})


def test_zero_means_never_for_background_loops_and_caches() -> None:
    settings = Settings.from_env({"IDP_PURGE_INTERVAL": "0", "IDP_OUTBOX_INTERVAL": "0",
                                  "IDP_CLIENT_CACHE_TTL": "0", "IDP_LOGIN_MAX_DELAY": "0"})
    assert settings.purge_interval == 0 and settings.client_cache_ttl == 0


def test_a_refused_database_url_is_not_repeated_it_may_hold_a_password() -> None:
    with pytest.raises(SettingError) as refused:
        Settings.from_env({"IDP_DATABASE_URL": "postgresql+psycopg://u:s3cr3t@ho st:x/db"})
    assert "s3cr3t" not in str(refused.value) and "IDP_DATABASE_URL" in str(refused.value)


def test_a_setting_error_is_one_line_naming_the_variable_and_what_is_allowed() -> None:
    with pytest.raises(SettingError) as refused:
        Settings.from_env({"IDP_ACCESS_TOKEN_ALG": "HS256"})
    assert str(refused.value) == "IDP_ACCESS_TOKEN_ALG='HS256': unknown value; allowed: " \
                                 "ES256, RS256"
