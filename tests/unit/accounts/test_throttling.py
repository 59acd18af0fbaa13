from idp.accounts.throttling import account_key, delay_for


def test_failed_logins_slow_down_then_cap() -> None:
    assert [delay_for(n) for n in range(1, 6)] == [0.0, 1.0, 2.0, 3.0, 3.0]
    assert delay_for(5, max_delay=0.5) == 0.5


def test_the_account_key_ignores_case_and_spaces() -> None:
    assert account_key(b"k", " CBernard-XT ") == account_key(b"k", "cbernard-xt")
