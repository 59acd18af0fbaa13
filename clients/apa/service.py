"""APA's rules, shared by the pages and the API (synchronous: call from a worker thread).

Files live under `files_dir` (deposits/<id>.xml, responses/<id>.xml), written to a temporary
file, flushed and renamed, then recorded in the database: a file is either complete and
listed, or absent. Every query is restricted to the SIRETs the caller represents, and a
file of another department answers like a missing one (nothing leaks)."""

from __future__ import annotations

import hashlib
import importlib
import math
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from clients.apa import storage
from clients.apa.callfile import CallFile, CallFileError, parse, read_name
from clients.apa.models import Deletion, Deposit, Download, ResponseFile
from clients.apa.settings import ApaSettings
from sitekit.settings import SettingError
from sitekit.texts import N_, Text

R = TypeVar("R")

if TYPE_CHECKING:
    from sitekit.storage.database import Database

DAY = 86400


@dataclass(frozen=True)
class Page(Generic[R]):
    rows: list[R]
    number: int
    count: int  # pages

    @classmethod
    def of(cls, rows: list[R], number: int, total: int, size: int) -> Page[R]:
        return cls(rows, number, max(1, math.ceil(total / size)))


# APA_PROCESSOR: (the call file, the time) -> the response file (processor.py `respond`).
Processor = Callable[[CallFile, int], bytes]


def load_processor(path: str) -> Processor:
    """The APA_PROCESSOR function; a one-line SettingError when it cannot be found."""
    module, _, name = path.partition(":")
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise SettingError(f"APA_PROCESSOR={path!r}: cannot be loaded ({exc}); give "
                           "module:function of an importable module") from None
    if not callable(found):
        raise SettingError(f"APA_PROCESSOR={path!r}: not a function; give module:function")
    processor: Processor = found
    return processor


class ApaService:
    def __init__(self, settings: ApaSettings, db: Database, now: Callable[[], int]) -> None:
        self.settings = settings
        self.db = db
        self.now = now
        self.processor = load_processor(settings.processor)
        self.root = Path(settings.files_dir)
        for folder in ("deposits", "responses"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)

    # Deposit -----------------------------------------------------------------------------

    def deposit(self, external_name: str, data: bytes, sirets: set[str], who: str) -> Deposit:
        """Check and store a call file; CallFileError says what is wrong (nothing is kept)."""
        year, siret = read_name(external_name)
        if siret not in sirets:
            raise CallFileError(Text(N_("You do not represent the SIRET {siret} of this file."),
                                     siret=siret))
        if len(data) > self.settings.max_upload_bytes:
            raise CallFileError(self.too_large())
        parse(data, siret, year)
        deposit = Deposit(id=secrets.token_hex(16), siret=siret, external_name=external_name,
                          internal_name=f"{external_name}.{siret}", size=len(data),
                          sha256=hashlib.sha256(data).hexdigest(), deposited_by=who,
                          deposited_at=self.now(), processed_at=None)
        path = self._write("deposits", deposit.id, data)
        try:
            with self.db.transaction() as s:
                s.add(deposit)
        except Exception:
            path.unlink(missing_ok=True)
            raise
        return deposit

    def too_large(self) -> Text:
        return Text(N_("The file is larger than the {size} allowed."),
                    size=human_size(self.settings.max_upload_bytes))

    def find_deposit(self, deposit_id: str, sirets: set[str]) -> Deposit | None:
        with self.db.read() as s:
            deposit = s.get(Deposit, deposit_id[:32])
        return deposit if deposit is not None and deposit.siret in sirets else None

    # Processing --------------------------------------------------------------------------

    def process_waiting(self) -> int:
        """Answer every deposit not yet answered; each is claimed by one conditional UPDATE
        in the transaction that records its response, so two processes never both do it."""
        with self.db.read() as s:
            waiting = storage.waiting_deposits(s, limit=100)
        done = 0
        for deposit in waiting:
            done += self._process(deposit)
        return done

    def _process(self, deposit: Deposit) -> int:
        now = self.now()
        try:
            call = parse((self.root / "deposits" / f"{deposit.id}.xml").read_bytes(),
                         deposit.siret)
        except (OSError, CallFileError):
            call = None
        if call is None:  # the file vanished or was altered on disk: leave it for an operator
            return 0
        data = self.processor(call, now)
        response = ResponseFile(
            id=secrets.token_hex(16), deposit_id=deposit.id, siret=deposit.siret,
            name=deposit.external_name.removesuffix(".xml") + "_REP.xml", size=len(data),
            sha256=hashlib.sha256(data).hexdigest(), available_at=now,
            expires_at=now + self.settings.response_days * DAY, first_download_at=None)
        path = self._write("responses", response.id, data)
        with self.db.transaction() as s:
            claimed = storage.claim_deposit(s, deposit.id, now)
            if claimed:
                s.add(response)
        if not claimed:
            path.unlink(missing_ok=True)
        return claimed

    # Withdrawal --------------------------------------------------------------------------

    def responses(self, sirets: set[str], page: int = 1) -> Page[ResponseFile]:
        now, size = self.now(), self.settings.page_size
        with self.db.read() as s:
            total, rows = storage.available_responses(s, sirets, now, (page - 1) * size, size)
        return Page.of(rows, page, total, size)

    def download(self, response_id: str, sirets: set[str], who: str) -> tuple[str, bytes] | None:
        """(name, content) of a response file of the caller's SIRETs that has not expired,
        recording the withdrawal (and the first-download date, once); else None."""
        now = self.now()
        with self.db.read() as s:
            response = s.get(ResponseFile, response_id[:32])
        if response is None or response.siret not in sirets or response.expires_at <= now:
            return None
        try:
            data = (self.root / "responses" / f"{response.id}.xml").read_bytes()
        except OSError:
            return None
        with self.db.transaction() as s:
            storage.mark_first_download(s, response.id, now)
            s.add(Download(siret=response.siret, file_name=response.name, downloaded_by=who,
                           downloaded_at=now))
        return response.name, data

    # Histories ---------------------------------------------------------------------------

    def deposit_history(self, sirets: set[str], since_days: int, page: int = 1) -> Page[Deposit]:
        size = self.settings.page_size
        since = self.now() - since_days * DAY
        with self.db.read() as s:
            total, rows = storage.deposits_since(s, sirets, since, (page - 1) * size, size)
        return Page.of(rows, page, total, size)

    def download_history(self, sirets: set[str], page: int = 1) -> Page[Download]:
        size = self.settings.page_size
        with self.db.read() as s:
            total, rows = storage.downloads_of(s, sirets, (page - 1) * size, size)
        return Page.of(rows, page, total, size)

    # Purge -------------------------------------------------------------------------------

    def purge(self) -> dict[str, int]:
        """Delete expired response files (recorded in `deletions`) and history entries older
        than `history_days` (with their deposited files)."""
        now = self.now()
        horizon = now - self.settings.history_days * DAY
        counts = {"response_files": 0, "deposits": 0, "downloads": 0}
        with self.db.transaction() as s:
            for response in storage.expired_responses(s, now):
                (self.root / "responses" / f"{response.id}.xml").unlink(missing_ok=True)
                s.add(Deletion(kind="response_file", name=response.name, siret=response.siret,
                               deleted_at=now))
                s.delete(response)
                counts["response_files"] += 1
            for deposit in storage.deposits_before(s, horizon):
                (self.root / "deposits" / f"{deposit.id}.xml").unlink(missing_ok=True)
                storage.detach_responses(s, deposit.id)
                s.add(Deletion(kind="deposit", name=deposit.internal_name, siret=deposit.siret,
                               deleted_at=now))
                s.delete(deposit)
                counts["deposits"] += 1
            counts["downloads"] = storage.delete_downloads_before(s, horizon)
        return counts

    # Files -------------------------------------------------------------------------------

    def _write(self, folder: str, name: str, data: bytes) -> Path:
        """Write atomically: a temporary file in the same folder, fsync, rename."""
        target = self.root / folder / f"{name}.xml"
        fd, tmp = tempfile.mkstemp(dir=self.root / folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target


def human_size(size: int) -> str:
    """As the seed shows sizes: 529 o, 7 Ko, 2 Mo — a no-break space between the number and
    its unit, so "496 o" never wraps into "496 / o"."""
    if size < 1024:
        return f"{size}\u00a0o"
    if size < 1024 * 1024:
        return f"{round(size / 1024)}\u00a0Ko"
    return f"{round(size / 1024 / 1024)}\u00a0Mo"
