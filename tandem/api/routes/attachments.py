"""Attachments on a meeting (SPEC C7): interactions (full URL or id), links, documents.

Everyone in the meeting may add them and sees them all; whoever added one, or the facilitator,
may remove it. Documents are uploaded as multipart form data, within size and type limits.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import StringConstraints, model_validator
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUpload

from tandem.api.auth import CurrentUser
from tandem.api.errors import ApiError
from tandem.domain.errors import invalid
from tandem.usecases.meeting_access import Visible, gate, load, now
from tandem.usecases.schemas import Strict, iso
from tandem.api.services import Svc
from tandem.usecases.context import Services
from tandem.domain.access import View
from tandem.domain.attachments import MAX_DOCUMENT_BYTES, AttachmentKind, document_type, may_remove
from tandem.domain.content import Url, is_participant, may_read_content
from tandem.domain.users import User
from tandem.store import attachments
from tandem.store.schema import AttachmentRow

router = APIRouter(prefix="/v1/meetings/{meeting_id}/attachments", tags=["attachments"])

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
InteractionId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]


class AttachmentBody(Strict):
    kind: AttachmentKind
    title: Title | None = None
    url: Url | None = None
    ref: InteractionId | None = None

    @model_validator(mode="after")
    def _shape(self) -> AttachmentBody:
        if self.kind is AttachmentKind.DOCUMENT:
            raise ValueError("documents are uploaded to .../attachments/documents")
        if self.kind is AttachmentKind.LINK and (self.url is None or self.ref is not None):
            raise ValueError("a link has a url")
        if self.kind is AttachmentKind.INTERACTION and (self.url is None) == (self.ref is None):
            raise ValueError(
                "an interaction is given by its full url or by its id (ref), one of them"
            )
        return self


def _out(meeting_id: str, row: AttachmentRow) -> dict[str, Any]:
    out = {
        "id": row.id,
        "kind": row.kind,
        "title": row.title,
        "url": row.url,
        "ref": row.ref,
        "added_by": row.added_by,
        "created_at": iso(row.created_at),
    }
    if row.kind == AttachmentKind.DOCUMENT.value:
        out |= {
            "content_type": row.content_type,
            "size": row.size,
            "download": f"/v1/meetings/{meeting_id}/attachments/{row.id}/content",
        }
    return out


async def _reader(svc: Services, user: User, meeting_id: str) -> Visible:
    visible = await load(svc, user, meeting_id)
    gate(
        may_read_content(user, visible.meeting, visible.view is View.FULL), "see the attachments of"
    )
    return visible


async def _writer(svc: Services, user: User, meeting_id: str) -> Visible:
    visible = await load(svc, user, meeting_id)
    gate(is_participant(user, visible.meeting), "attach things to")
    return visible


@router.get("")
async def list_attachments(meeting_id: str, user: CurrentUser, svc: Svc) -> dict:
    await _reader(svc, user, meeting_id)
    rows = await svc.db.read(lambda session: attachments.of_meeting(session, meeting_id))
    return {"items": [_out(meeting_id, r) for r in rows], "next_cursor": None}


@router.post("", status_code=201)
async def add_attachment(
    meeting_id: str, body: AttachmentBody, user: CurrentUser, svc: Svc
) -> dict:
    await _writer(svc, user, meeting_id)
    title = body.title or body.url or f"Interaction {body.ref}"
    row = await svc.db.write(
        lambda session: attachments.add(
            session,
            meeting_id=meeting_id,
            kind=body.kind,
            title=title,
            url=body.url,
            ref=body.ref,
            added_by=user.id,
            now=now(),
        )
    )
    return _out(meeting_id, row)


@router.post("/documents", status_code=201)
async def upload_document(meeting_id: str, request: Request, user: CurrentUser, svc: Svc) -> dict:
    """Multipart form: ``file`` (the document) and an optional ``title``. The form is read only
    once the meeting is known to be the caller's (A3: a stranger gets 404, not a form error)."""
    await _writer(svc, user, meeting_id)
    form = await request.form(max_part_size=MAX_DOCUMENT_BYTES + 1)
    file, title = form.get("file"), form.get("title")
    if not isinstance(file, StarletteUpload):
        raise invalid("file", "send the document as the multipart form field 'file'")
    if title is not None and (not isinstance(title, str) or not 0 < len(title.strip()) <= 200):
        raise invalid("title", "a title is 1 to 200 characters")
    title = title.strip() if isinstance(title, str) else None
    filename = file.filename or "document"
    content_type = document_type(filename, file.content_type)
    # Read one byte past the limit: enough to know it is too big without holding all of it.
    content = await file.read(MAX_DOCUMENT_BYTES + 1)
    if len(content) > MAX_DOCUMENT_BYTES:
        raise ApiError(
            413,
            "Invalid",
            f"documents are at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB",
            {"field": "file", "limit_bytes": MAX_DOCUMENT_BYTES},
        )
    row = await svc.db.write(
        lambda session: attachments.add(
            session,
            meeting_id=meeting_id,
            kind=AttachmentKind.DOCUMENT,
            title=title or filename,
            added_by=user.id,
            now=now(),
            content=content,
            content_type=content_type,
        )
    )
    return _out(meeting_id, row)


@router.get("/{attachment_id}/content")
async def download_document(
    meeting_id: str, attachment_id: str, user: CurrentUser, svc: Svc
) -> Response:
    await _reader(svc, user, meeting_id)
    row = await svc.db.read(
        lambda session: attachments.get(session, meeting_id, attachment_id, with_content=True)
    )
    if row.content is None:
        raise ApiError(404, "NotFound", "that attachment is not a document")
    disposition = f'attachment; filename="{row.title.replace(chr(34), "")}"'
    return Response(
        row.content, media_type=row.content_type, headers={"Content-Disposition": disposition}
    )


@router.delete("/{attachment_id}")
async def remove_attachment(
    meeting_id: str, attachment_id: str, user: CurrentUser, svc: Svc
) -> dict:
    visible = await _writer(svc, user, meeting_id)

    def remove(session: Session) -> None:
        row = attachments.get(session, meeting_id, attachment_id)
        gate(may_remove(user.id, row.added_by, visible.meeting), "remove this attachment from")
        session.delete(row)

    await svc.db.write(remove)
    return {"id": attachment_id, "deleted": True}
