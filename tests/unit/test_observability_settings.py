"""IDP_LOG_FORMAT, IDP_ACCESS_LOG and IDP_METRICS_TOKEN are checked at start (issue 15)."""

from __future__ import annotations

import pytest

from idp.settings import Settings
from sitekit.settings import SettingError


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("IDP_LOG_FORMAT", "xml", "IDP_LOG_FORMAT='xml': unknown value; allowed: (empty), json, text"),
    ("IDP_ACCESS_LOG", "2", "IDP_ACCESS_LOG=2: unknown value; allowed: 0, 1"),
    ("IDP_ACCESS_LOG", "yes", "IDP_ACCESS_LOG='yes': not a whole number"),
    ("IDP_METRICS_TOKEN", "short", "IDP_METRICS_TOKEN: at least 32 printable ASCII"),
    ("IDP_METRICS_TOKEN", "x" * 31, "IDP_METRICS_TOKEN: at least 32"),
    ("IDP_METRICS_TOKEN", "x" * 31 + " y", "IDP_METRICS_TOKEN: at least 32"),
    ("IDP_METRICS_TOKEN", "x" * 31 + "é", "IDP_METRICS_TOKEN: at least 32"),
])
def test_bad_values_stop_with_one_line(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingError) as refused:
        Settings.from_env({variable: value})
    assert str(refused.value).startswith(message)


def test_good_values() -> None:
    settings = Settings.from_env({"IDP_LOG_FORMAT": "json", "IDP_ACCESS_LOG": "1",
                                  "IDP_METRICS_TOKEN": "a" * 64})
    assert (settings.log_format, settings.access_log) == ("json", 1)
    assert Settings.from_env({}).metrics_token == ""
