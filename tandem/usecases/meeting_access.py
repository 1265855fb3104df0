"""Loading a meeting for a caller: not found unless they may see it (A3, A4), not allowed per
action; and sending one lifecycle message to its workflow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from tandem.domain.access import View, view_of
from tandem.domain.errors import DomainError, NotAllowed, not_found
from tandem.domain.meetings import FINISHED, Meeting, MeetingStatus
from tandem.domain.users import User
from tandem.store import meetings, users
from tandem.store.meetings import MeetingRecord
from tandem.usecases import idempotency
from tandem.usecases.clashes import explained
from tandem.usecases.context import Services
from tandem.usecases.idempotency import Reply
from tandem.usecases.schemas import meeting_out


@dataclass(frozen=True)
class Visible:
    meeting: Meeting
    archived: bool
    view: View
    people: dict[str, User]

    def out(self, meeting: Meeting | None = None) -> dict[str, Any]:
        return meeting_out(meeting or self.meeting, self.archived, self.view)

    @property
    def participants(self) -> list[User]:
        return [self.people[p] for p in self.meeting.participant_ids if p in self.people]


def _with_people(session: Session, meeting_id: str) -> tuple[MeetingRecord, dict[str, User]] | None:
    record = meetings.get_meeting(session, meeting_id)
    if record is None:
        return None
    return record, users.get_users(session, record.meeting.participant_ids)


async def load(svc: Services, user: User, meeting_id: str) -> Visible:
    found = await svc.db.read(lambda session: _with_people(session, meeting_id))
    if found is None:
        raise not_found()
    record, people = found
    view = view_of(user, record.meeting, people)
    if view is None:
        raise not_found()
    return Visible(record.meeting, record.archived, view, people)


def gate(allowed: bool, action: str) -> None:
    if not allowed:
        raise NotAllowed(f"you may not {action} this meeting")


async def send_update(
    svc: Services,
    user: User,
    visible: Visible,
    *,
    operation: str,
    change: Any,
    idempotency_key: str | None,
    payload: Any,
    precheck: Callable[[Meeting], None],
    respond: Callable[[Any], dict[str, Any]] | None = None,
) -> Reply:
    """Send one lifecycle message; the reply is the meeting (or ``respond(result)``).

    ``precheck`` is the same lifecycle rule the workflow's validator applies; it is run here only
    when the meeting has finished, to refuse at once rather than reopen its workflow for nothing.
    """
    claim = await idempotency.claim(
        svc, user, idempotency_key, operation=operation, target=visible.meeting.id, payload=payload
    )
    if claim.replay is not None:
        return claim.replay
    if visible.meeting.status in FINISHED or visible.meeting.status is MeetingStatus.DELETED:
        precheck(visible.meeting)
    try:
        result = await svc.meetings.apply(
            visible.meeting, change, request_id=claim.update_id(user, operation)
        )
    except DomainError as error:
        await idempotency.refuse(svc, user, claim, await explained(svc, user, error))
    body = respond(result) if respond else visible.out(result)
    await idempotency.remember(svc, user, claim, 200, body)
    return Reply(200, body)


def now() -> datetime:
    return datetime.now(UTC)
