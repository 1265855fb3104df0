"""Reading an uploaded document out of a multipart request, for both HTTP front-ends (the JSON
API and the web pages post the same form: ``file`` and an optional ``title``)."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request

from tandem.domain.attachments import MAX_DOCUMENT_BYTES
from tandem.domain.errors import invalid
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
