"""Ops (SPEC O1, A4): find any meeting and read its lifecycle, never its content."""

from __future__ import annotations

from sqlalchemy.orm import Session
from temporalio.api.common.v1 import Payload

from tandem.domain.access import require, view_of
from tandem.domain.errors import invalid
from tandem.domain.permissions import Permission
from tandem.domain.users import User
from tandem.store import meetings, users
from tandem.usecases.context import Services
from tandem.usecases.meetings import ListedMeeting
from tandem.usecases.payload_codec import PayloadKeyError

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


async def open_payloads(svc: Services, user: User, payloads: list[Payload]) -> list[Payload]:
    """Sealed Temporal payloads opened for the Temporal UI and CLI (issue 8): lifecycle data for
    people with ``ops.history.view``; note contents are never in a workflow's payloads."""
    require(user, Permission.OPS_HISTORY)
    codec = svc.meetings.client.data_converter.payload_codec
    if codec is None:
        return payloads
    try:
        return await codec.decode(payloads)
    except PayloadKeyError as error:
        raise invalid("payloads", str(error)) from None


async def seal_payloads(svc: Services, user: User, payloads: list[Payload]) -> list[Payload]:
    """The reverse, for ``temporal workflow start --codec-endpoint`` and the like."""
    require(user, Permission.OPS_HISTORY)
    codec = svc.meetings.client.data_converter.payload_codec
    return payloads if codec is None else await codec.encode(payloads)
