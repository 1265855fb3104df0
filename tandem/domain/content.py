"""Meeting content (SPEC C1-C6): agenda topics, action items, notes, and who may touch them.

Content lives in the database only; it never enters workflow history, notifications or digests
(private notes above all, C5).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints

from tandem.domain.inputs import Lines, OneLine
from tandem.domain.meetings import Meeting, MeetingKind
from tandem.domain.permissions import Permission
from tandem.domain.users import User


class ItemKind(StrEnum):
    TOPIC = "topic"
    ACTION = "action"


class NoteVisibility(StrEnum):
    SHARED = "shared"  # C4: every participant
    PRIVATE = "private"  # C5: the author alone, ever
    FACILITATORS = "facilitators"  # C6: coaching, organiser and facilitator only


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError("must be a single http(s) URL")
    return value


ItemText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000), OneLine
]
NoteBody = Annotated[str, StringConstraints(min_length=1, max_length=50_000), Lines]
Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2_000),
    OneLine,
    AfterValidator(_http_url),
]


def is_participant(user: User, meeting: Meeting) -> bool:
    """The people in the meeting: the facilitator and the participants (C1, C2: either of them)."""
    return user.id in meeting.attendee_ids


def may_read_content(user: User, meeting: Meeting, sees_full: bool) -> bool:
    """Participants; admins (A2) and coaches with the full view may read; ops never (A4)."""
    if is_participant(user, meeting) or user.is_admin:
        return True
    return sees_full and not user.can(Permission.OPS_HISTORY)


def may_delete_item(user: User, kind: ItemKind, author_id: str, meeting: Meeting) -> bool:
    """C1: a topic only by its author; C2: an action item by either participant."""
    if kind is ItemKind.TOPIC:
        return user.id == author_id
    return is_participant(user, meeting)


def note_visibilities(meeting: Meeting) -> frozenset[NoteVisibility]:
    if meeting.kind is MeetingKind.COACHING:
        return frozenset({NoteVisibility.SHARED, NoteVisibility.FACILITATORS})
    return frozenset({NoteVisibility.SHARED, NoteVisibility.PRIVATE})


def may_write_notes(user: User, meeting: Meeting) -> bool:
    """C4: participants of a 1:1; C6: only the organiser or facilitator of coaching."""
    if meeting.kind is MeetingKind.COACHING:
        return user.id in (meeting.facilitator_id, meeting.created_by)
    return is_participant(user, meeting)


def may_see_note(user: User, meeting: Meeting, visibility: NoteVisibility, author_id: str) -> bool:
    if visibility is NoteVisibility.PRIVATE:
        return user.id == author_id
    if visibility is NoteVisibility.FACILITATORS:
        return user.id in (meeting.facilitator_id, meeting.created_by)
    return True
