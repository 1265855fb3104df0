"""What a caller is told about a clash the booking guard found (SPEC W5, A3).

The guard (in the worker) names the clashing booking by ids. The caller learns who is busy and
when, in their own zone; the clashing meeting's id and name only when they may see that meeting,
so a 409 never reveals a meeting that would be a 404 to them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tandem.domain.access import view_of
from tandem.domain.errors import Conflict, DomainError
from tandem.domain.meetings import Meeting
from tandem.domain.times import local
from tandem.domain.users import User
from tandem.store import meetings, users
from tandem.usecases.context import Services

TIMES = ("starts_at", "ends_at")


async def explained(svc: Services, user: User, error: DomainError) -> DomainError:
    """``error`` as ``user`` may read it: a booking clash rewritten, anything else as it is."""
    found = error.details.get("conflicts") if isinstance(error, Conflict) else None
    if not found:
        return error

    def read(session: Session) -> tuple[dict[str, User], dict[str, Meeting], dict[str, User]]:
        busy = users.get_users(session, {c["user_id"] for c in found})
        clashing = {}
        for c in found:
            if (record := meetings.get_meeting(session, c["meeting_id"])) is not None:
                clashing[c["meeting_id"]] = record.meeting
        people = users.get_users(session, {p for m in clashing.values() for p in m.participant_ids})
        return busy, clashing, people

    busy, clashing, people = await svc.db.read(read)
    conflicts = []
    for c in found:
        meeting = clashing.get(c["meeting_id"])
        visible = meeting is not None and view_of(user, meeting, people) is not None
        shown = {
            "user_id": c["user_id"],
            "name": busy[c["user_id"]].name if c["user_id"] in busy else None,
            "kind": c["kind"],
            "starts_at": c["starts_at"],
            "ends_at": c["ends_at"],
        }
        if visible and meeting is not None:
            shown |= {"meeting_id": meeting.id, "meeting_name": meeting.name}
        conflicts.append(shown)
    first = conflicts[0]
    starts, ends = (local(datetime.fromisoformat(first[k]), user.timezone) for k in TIMES)
    what = ""
    if "meeting_name" in first:
        what = f": {first['meeting_name']} (meeting {first['meeting_id']})"
    message = (
        f"{first['name'] or 'someone'} is busy from {starts:%a %d %b %Y, %H:%M} "
        f"to {ends:%H:%M} ({user.timezone}){what}"
    )
    remedy = {k: error.details[k] for k in ("remedy", "field") if k in error.details}
    if "remedy" in remedy:
        message += f"; {remedy['remedy']}"
    return Conflict(message, conflicts=conflicts, **remedy)
