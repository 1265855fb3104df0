"""Attachments on a meeting (SPEC C7, M1): interactions, links and uploaded documents.

Anything one person in the meeting adds is visible to everyone in it; it can be removed by whoever
added it or by the facilitator.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePath

from tandem.domain.errors import Invalid
from tandem.domain.meetings import Meeting

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

# What coaching paperwork looks like; anything executable or opaque stays out.
DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


class AttachmentKind(StrEnum):
    INTERACTION = "interaction"  # a recorded contact, by its full URL or its id
    LINK = "link"
    DOCUMENT = "document"


def document_type(filename: str, declared: str | None) -> str:
    """The content type a document is stored with, or Invalid if it is not one we accept."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in DOCUMENT_TYPES:
        allowed = ", ".join(sorted(DOCUMENT_TYPES))
        raise Invalid(f"{filename!r} is not a document type Tandem keeps ({allowed})", field="file")
    expected = DOCUMENT_TYPES[suffix]
    if declared and declared.split(";")[0].strip() not in (expected, "application/octet-stream"):
        raise Invalid(f"{filename!r} says it is {declared}, not {expected}", field="file")
    return expected


def may_remove(user_id: str, added_by: str, meeting: Meeting) -> bool:
    return user_id in (added_by, meeting.facilitator_id)
