"""Uploaded documents over HTTP, for both front-ends: reading one out of a multipart request (the
JSON API and the web pages post the same form: ``file`` and an optional ``title``), and sending
one back."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from tandem.domain.attachments import MAX_DOCUMENT_BYTES
from tandem.domain.errors import invalid
from tandem.domain.inputs import readable_line
from tandem.store.schema import AttachmentRow
from tandem.usecases.attachments import ReadUpload, Upload

# A form part may be as large as the largest document, and one byte more so that a document
# over the limit is seen (and refused with 413) rather than cut.
MAX_PART_BYTES = MAX_DOCUMENT_BYTES + 1


def upload_reader(request: Request) -> ReadUpload:
    """Reads the multipart form when the use case asks (after its access check)."""

    async def read() -> Upload:
        form = await request.form(max_part_size=MAX_PART_BYTES)
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise invalid("file", "send the document as the multipart form field 'file'")
        return Upload(
            filename=file.filename or "",
            declared_type=file.content_type,
            content=await file.read(MAX_PART_BYTES),
            title=form.get("title"),
        )

    return read


def content_disposition(title: str) -> str:
    """``attachment`` with the title as file name, per RFC 6266: an ASCII ``filename`` for old
    clients and the real name as ``filename*`` (UTF-8, percent-encoded). A header can carry
    neither raw UTF-8 nor a line break, so the title is made one readable line first (titles
    stored before input was checked may hold anything)."""
    name = readable_line(title) or "document"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = "".join("_" if c in '"\\' else c for c in ascii_name).strip() or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def document_response(row: AttachmentRow) -> Response:
    """A stored document as a download; never cached, since what may be seen can change."""
    assert row.content is not None
    headers = {"Content-Disposition": content_disposition(row.title), "Cache-Control": "no-store"}
    return Response(row.content, media_type=row.content_type, headers=headers)
