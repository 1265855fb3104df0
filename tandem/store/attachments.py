"""Attachments (SPEC C7). Documents are kept in the database, so every API process sees them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from tandem.domain.attachments import AttachmentKind
from tandem.domain.errors import NotFound
from tandem.store.schema import AttachmentRow


def add(
    session: Session,
    *,
    meeting_id: str,
    kind: AttachmentKind,
    title: str,
    added_by: str,
    now: datetime,
    url: str | None = None,
    ref: str | None = None,
    content: bytes | None = None,
    content_type: str | None = None,
) -> AttachmentRow:
    row = AttachmentRow(
        id=str(uuid.uuid4()),
        meeting_id=meeting_id,
        kind=kind.value,
        title=title,
        url=url,
        ref=ref,
        content_type=content_type,
        size=len(content) if content is not None else None,
        content=content,
        added_by=added_by,
        created_at=now,
    )
    session.add(row)
    return row


def of_meeting(session: Session, meeting_id: str) -> list[AttachmentRow]:
    query = select(AttachmentRow).where(AttachmentRow.meeting_id == meeting_id)
    return list(session.scalars(query.order_by(AttachmentRow.created_at, AttachmentRow.id)).all())


def get(
    session: Session, meeting_id: str, attachment_id: str, *, with_content: bool = False
) -> AttachmentRow:
    query = select(AttachmentRow).where(
        AttachmentRow.id == attachment_id, AttachmentRow.meeting_id == meeting_id
    )
    if with_content:
        query = query.options(undefer(AttachmentRow.content))
    row = session.scalar(query)
    if row is None:
        raise NotFound("no such attachment")
    return row
