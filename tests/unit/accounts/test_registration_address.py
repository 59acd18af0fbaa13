"""The address a registration accepts (idp/accounts/registration.py valid_address): what an
SMTP server takes without quoting or SMTPUTF8, nothing a header or a page could be fooled
with, whatever is typed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idp.accounts.registration import MAX_EMAIL, valid_address


@pytest.mark.parametrize("address", [
    "camille@example.fr", "jean.o'neil+impots@sous-domaine.example.gouv.fr", " a@b.fr ",
])
def test_ordinary_addresses_are_accepted(address: str) -> None:
    assert valid_address(address) == address.strip()


@pytest.mark.parametrize("address", [
    "", "sans-arobase", "a@b", "a@@b.fr", "a..b@c.fr", ".a@b.fr", "a.@b.fr", "a@b..fr",
    '"a"@b.fr', "a b@c.fr", "é@b.fr", "a@bé.fr", "a@b.fr\r\nBcc: c@d.fr", "a\x00@b.fr",
    "<a@b.fr>", "a@b.fr;c@d.fr", "a" * 65 + "@b.fr", "a@" + "b" * 250 + ".fr",
])
def test_anything_else_is_refused(address: str) -> None:
    assert valid_address(address) is None


@given(st.text(max_size=400))
def test_an_accepted_address_is_short_ascii_without_space_or_control(typed: str) -> None:
    address = valid_address(typed)
    if address is not None:
        assert len(address) <= MAX_EMAIL and address.isascii() and address.count("@") == 1
        assert not any(c.isspace() or ord(c) < 32 or c in '"<>(),;:\\[]' for c in address)
