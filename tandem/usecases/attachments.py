"""Attachments on a meeting (SPEC C7): interactions (full URL or id), links, documents.

Everyone in the meeting may add them and sees them all; whoever added one, or the facilitator,
may remove it. Documents come within size and type limits (tandem.domain.attachments).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Annotated

from pydantic import StringConstraints, TypeAdapter, ValidationError, model_validator
from sqlalchemy.orm import Session

from tandem.domain.access import View
from tandem.domain.attachments import MAX_DOCUMENT_BYTES, AttachmentKind, document_type, may_remove
from tandem.domain.content import Url, is_participant, may_read_content
from tandem.domain.errors import Invalid, NotFound, invalid
from tandem.domain.inputs import Choice, OneLine, readable_line
from tandem.domain.users import User
from tandem.store import attachments
from tandem.store.schema import AttachmentRow
from tandem.usecases.context import Services
from tandem.usecases.meeting_access import Visible, gate, load, now
from tandem.usecases.schemas import Strict

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), OneLine
]
InteractionId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), OneLine
]


class AttachmentBody(Strict):
    kind: Choice[AttachmentKind]
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


class DocumentTooLarge(Invalid):
    """Bad input like any Invalid, but HTTP answers it 413 (Payload Too Large)."""


@dataclass(frozen=True)
class Upload:
    """A document as a transport received it. ``content`` holds at most one byte past the limit:
    enough to know it is too big without holding all of it."""

    filename: str
    declared_type: str | None
    content: bytes
    title: object = None  # whatever the form sent; checked here


# Reading the upload is left to the caller, and done only once the meeting is known to be theirs
# (A3: a stranger gets 404, not a complaint about their form).
ReadUpload = Callable[[], Awaitable[Upload]]


async def reader(svc: Services, user: User, meeting_id: str) -> Visible:
    visible = await load(svc, user, meeting_id)
    gate(
        may_read_content(user, visible.meeting, visible.view is View.FULL), "see the attachments of"
    )
    return visible


async def writer(svc: Services, user: User, meeting_id: str) -> Visible:
    visible = await load(svc, user, meeting_id)
    gate(is_participant(user, visible.meeting), "attach things to")
    return visible


async def list_attachments(svc: Services, user: User, meeting_id: str) -> list[AttachmentRow]:
    await reader(svc, user, meeting_id)
    return await svc.db.read(lambda session: attachments.of_meeting(session, meeting_id))


async def add_attachment(
    svc: Services, user: User, meeting_id: str, body: AttachmentBody
) -> AttachmentRow:
    await writer(svc, user, meeting_id)
    title = body.title or body.url or f"Interaction {body.ref}"
    return await svc.db.write(
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


_TITLE = TypeAdapter(Title)


def _title(raw: object) -> str | None:
    if raw is None or raw == "":
        return None
    try:
        return _TITLE.validate_python(raw)
    except ValidationError as error:
        reason = error.errors()[0]["msg"].removeprefix("Value error, ")
        raise invalid("title", f"a title is one line of 1 to 200 characters; {reason}") from None


async def upload_document(
    svc: Services, user: User, meeting_id: str, read: ReadUpload
) -> AttachmentRow:
    await writer(svc, user, meeting_id)
    upload = await read()
    title = _title(upload.title)
    filename = upload.filename or "document"
    # The file's name is whatever the sender's system allowed; as a title it must read as one.
    title = title or readable_line(PurePath(filename.replace("\\", "/")).name) or "document"
    content_type = document_type(filename, upload.declared_type)
    if len(upload.content) > MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge(
            f"documents are at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB",
            field="file",
            limit_bytes=MAX_DOCUMENT_BYTES,
        )
    return await svc.db.write(
        lambda session: attachments.add(
            session,
            meeting_id=meeting_id,
            kind=AttachmentKind.DOCUMENT,
            title=title,
            added_by=user.id,
            now=now(),
            content=upload.content,
            content_type=content_type,
        )
    )


async def download_document(
    svc: Services, user: User, meeting_id: str, attachment_id: str
) -> AttachmentRow:
    """The row with its content loaded; NotFound when the attachment is not a document."""
    await reader(svc, user, meeting_id)
    row = await svc.db.read(
        lambda session: attachments.get(session, meeting_id, attachment_id, with_content=True)
    )
    if row.content is None:
        raise NotFound("that attachment is not a document")
    return row


async def remove_attachment(svc: Services, user: User, meeting_id: str, attachment_id: str) -> None:
    visible = await writer(svc, user, meeting_id)

    def remove(session: Session) -> None:
        row = attachments.get(session, meeting_id, attachment_id)
        gate(may_remove(user.id, row.added_by, visible.meeting), "remove this attachment from")
        session.delete(row)

    await svc.db.write(remove)


def may_remove_attachment(user: User, row: AttachmentRow, visible: Visible) -> bool:
    """Whether a page should offer the remove button (the same rule remove_attachment applies)."""
    return is_participant(user, visible.meeting) and may_remove(
        user.id, row.added_by, visible.meeting
    )
