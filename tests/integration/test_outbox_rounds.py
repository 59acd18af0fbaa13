"""The outbox's rounds (messaging/outbox.py): most find nothing due, and those take no write
lock (on SQLite, the one writer the requests queue for)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection

from idp.runtime import Runtime
from idp.settings import Settings
from idp.storage.repositories import outbox as outbox_repo
from tests.mail import sms


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.replace(sms_sink_file=str(tmp_path / "sms.jsonl"))


def write_transactions(rt: Runtime) -> list[int]:
    """A list that grows by one at each write transaction begun on the runtime's database."""
    begun: list[int] = []

    def _begin(conn: Connection) -> None:
        if not conn.get_execution_options().get("idp_read_only", False):
            begun.append(1)

    event.listen(rt.db.engine, "begin", _begin)
    return begun


def test_a_round_with_nothing_due_takes_no_write_lock(rt: Runtime) -> None:
    begun = write_transactions(rt)
    assert rt.outbox.deliver_due() == 0
    assert begun == []
    with rt.db.transaction() as s:
        outbox_repo.enqueue(s, "sms", "+33600000009", "", "Votre code : 123456", rt.clock.now())
    begun.clear()
    assert [m["text"] for m in sms(rt)] == ["Votre code : 123456"]
    assert len(begun) == 2  # the claim, then "sent"
    begun.clear()
    assert rt.outbox.deliver_due() == 0  # delivered once, not again
    assert begun == []
