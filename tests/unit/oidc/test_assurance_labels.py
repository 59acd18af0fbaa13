"""The level of a login in words, as the person's history shows it (eIDAS: low,
substantial, high); the operator's password level counts as low."""

from __future__ import annotations

import pytest

from idp.oidc.assurance import acr_label
from idp.settings import Settings


@pytest.mark.parametrize(("acr", "label"), [
    ("eidas1", "eIDAS low"), ("eidas2", "eIDAS substantial"), ("eidas3", "eIDAS high"),
    (None, None), ("", None), ("urn:unknown", None), ("EIDAS1", None),
])
def test_levels_in_words(acr: str | None, label: str | None) -> None:
    assert acr_label(Settings.from_env({}), acr) == label


def test_the_operators_password_level_is_low() -> None:
    settings = Settings.from_env({}, acr_default="urn:ministere:mot-de-passe")
    assert acr_label(settings, "urn:ministere:mot-de-passe") == "eIDAS low"
