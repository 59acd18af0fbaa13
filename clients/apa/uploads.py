"""Reading one uploaded call file (multipart field `fichier`), for the pages and the API:
a body announced larger than the limit is refused before it is read, a file is read up to
the limit only, and an upload cut in the middle keeps nothing."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request

from sitekit.texts import N_, Text

CHOOSE_FILE = N_("Choose a call file.")
UPLOAD_CUT = N_("The file was not received completely. Nothing was kept: send it again.")
FORM_OVERHEAD = 64 * 1024  # multipart boundaries, headers and the other fields


@dataclass(frozen=True)
class Upload:
    fields: dict[str, str]
    name: str
    data: bytes


class UploadRefused(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error  # code for the API
        self.message = message  # message id (maybe a Text with values) for people


async def read_upload(request: Request, limit: int, too_large: Text) -> Upload:
    if int(request.headers.get("content-length") or 0) > limit + FORM_OVERHEAD:
        raise UploadRefused(413, "file_too_large", too_large)
    try:
        form = await request.form(max_files=1, max_fields=4)
        try:
            upload = form.get("fichier")
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            if not isinstance(upload, UploadFile) or not upload.filename:
                return Upload(fields, "", b"")
            data = await _read_limited(upload, limit)
        finally:
            await form.close()  # the spooled temporary file
    except (ClientDisconnect, MultiPartException):
        raise UploadRefused(400, "upload_incomplete", UPLOAD_CUT) from None
    if data is None:
        raise UploadRefused(413, "file_too_large", too_large)
    return Upload(fields, upload.filename, data)


def require_file(upload: Upload) -> None:
    if not upload.name:
        raise UploadRefused(400, "invalid_file", CHOOSE_FILE)


async def _read_limited(upload: UploadFile, limit: int) -> bytes | None:
    """The file's bytes, or None when it is larger than `limit`."""
    chunks, size = [], 0
    while chunk := await upload.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
