"""Inactive citizen accounts (décret 2009-730; portal/inactivity.py) with the movable clock:
a warning e-mail after `inactivity_days - inactivity_notice_days` without login, the deletion
`inactivity_notice_days` later unless a login came in between; only citizens."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest

from idp.oidc import build_authorization_server
from idp.portal.inactivity import InactivityRules, Run, handle_inactive_accounts
from idp.runtime import Runtime
from idp.settings import Settings
from idp.storage.repositories import accounts as accounts_repo
from tests.factories import Factories
from tests.mail import SmtpSink
from tests.oidc_helpers import login

DAY = 86400


@pytest.fixture
def settings(settings: Settings, smtp: SmtpSink) -> Settings:
    return settings.replace(smtp_port=smtp.port, outbox_interval=0.0, inactivity_days=1096,
                            inactivity_notice_days=30)


def _run(rt: Runtime) -> Run:
    from idp.portal.deletion import deletion_notification
    from sitekit.web.i18n import Catalogues

    catalogues = Catalogues()

    def texts(kind, account, when):  # type: ignore[no-untyped-def]
        return deletion_notification(lambda m: catalogues.gettext("fr", m), kind, account,
                                     when, rt.settings.issuer)

    return handle_inactive_accounts(build_authorization_server(rt),
                                    InactivityRules.from_settings(rt.settings), texts)


def _exists(rt: Runtime, username: str) -> bool:
    with rt.db.read() as s:
        return accounts_repo.find_by_login(s, username) is not None


def _mails(rt: Runtime, smtp: SmtpSink) -> list[tuple[str, str, str]]:
    rt.outbox.deliver_due()
    found = [(m["To"], str(make_header(decode_header(m["Subject"]))),
              m.get_payload(decode=True).decode())
             for m in smtp.messages]
    smtp.messages.clear()
    return found


def _citizen(factories: Factories, username: str = "alice", **options: object) -> dict:
    options.setdefault("email", f"{username}@example.test")
    return factories.account(username, population="citizen", **options)


def test_a_warning_then_the_deletion_after_the_notice(
        rt: Runtime, factories: Factories, smtp: SmtpSink) -> None:
    _citizen(factories)
    rt.clock.advance((1096 - 30) * DAY - 10)
    assert _run(rt) == Run(0, 0)  # not yet
    rt.clock.advance(20)
    assert _run(rt) == Run(1, 0)
    (to, subject, body), = _mails(rt, smtp)
    assert to == "alice@example.test" and subject == "Votre compte va être supprimé"
    assert "alice@example.test" in body and "décret 2009-730" in body
    assert _run(rt) == Run(0, 0)  # warned once
    assert _mails(rt, smtp) == []
    rt.clock.advance(30 * DAY - 10)
    assert _run(rt) == Run(0, 0) and _exists(rt, "alice")
    rt.clock.advance(20)
    assert _run(rt) == Run(0, 1)
    assert not _exists(rt, "alice")
    (to, subject, body), = _mails(rt, smtp)
    assert subject == "Votre compte a été supprimé" and "personne ne s'y était" in body


def test_a_login_after_the_warning_cancels_the_deletion(
        rt: Runtime, factories: Factories, smtp: SmtpSink, http) -> None:  # type: ignore[no-untyped-def]
    _citizen(factories)
    rt.clock.advance(1066 * DAY + 1)
    assert _run(rt).warned == 1
    rt.clock.advance(10 * DAY)
    assert login(http, "alice").status_code == 303
    with rt.db.read() as s:
        assert accounts_repo.find_by_login(s, "alice").inactivity_warned_at is None
    rt.clock.advance(25 * DAY)
    assert _run(rt) == Run(0, 0) and _exists(rt, "alice")
    # The count starts again from that login.
    rt.clock.advance((1066 - 25) * DAY + 1)
    assert _run(rt) == Run(1, 0)


def test_only_citizens_are_concerned(
        rt: Runtime, factories: Factories, smtp: SmtpSink) -> None:
    factories.account("agent")  # portal: managed by its organisation
    factories.account("robot", population="technical")
    rt.clock.advance(2000 * DAY)
    assert _run(rt) == Run(0, 0)
    assert _exists(rt, "agent") and _exists(rt, "robot")


def test_an_account_without_address_follows_the_same_calendar_silently(
        rt: Runtime, factories: Factories, smtp: SmtpSink) -> None:
    _citizen(factories, "fc-abc", email=None)
    rt.clock.advance(1066 * DAY + 1)
    assert _run(rt) == Run(1, 0)
    assert _mails(rt, smtp) == []
    rt.clock.advance(30 * DAY + 1)
    assert _run(rt) == Run(0, 1) and not _exists(rt, "fc-abc")


def test_two_processes_warn_once(rt: Runtime, factories: Factories, smtp: SmtpSink) -> None:
    import threading

    for n in range(5):
        _citizen(factories, f"c{n}")
    rt.clock.advance(1066 * DAY + 1)
    other = Runtime.build(rt.settings, rt.clock)
    results: list[Run] = []
    try:
        threads = [threading.Thread(target=lambda r=r: results.append(_run(r)))
                   for r in (rt, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        other.close()
    assert sum(r.warned for r in results) == 5
    assert len(_mails(rt, smtp)) == 5
