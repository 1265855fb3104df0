"""Ops (SPEC O1, A4): find any meeting and read its lifecycle, never its content."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tandem.domain.access import require, view_of
from tandem.domain.permissions import Permission
from tandem.domain.users import User
from tandem.store import meetings, users
from tandem.usecases.context import Services
from tandem.usecases.meetings import ListedMeeting

FIND_LIMIT = 50


async def find_meetings(
    svc: Services, user: User, *, text: str = "", person_id: str | None = None
) -> list[ListedMeeting]:
    """Meetings by id or name (and person), as the caller's view of each allows."""
    require(user, Permission.OPS_HISTORY)
    text = text.strip()
    if not text and not person_id:
        return []

    def read(session: Session) -> list[tuple[meetings.MeetingRecord, dict[str, User]]]:
        found = meetings.find(session, text=text, user_id=person_id, limit=FIND_LIMIT)
        people = users.get_users(session, {p for r in found for p in r.meeting.participant_ids})
        return [(r, people) for r in found]

    listed = []
    for record, people in await svc.db.read(read):
        view = view_of(user, record.meeting, people)
        if view is not None:
            listed.append(ListedMeeting(record.meeting, record.archived, view))
    return listed
