"""Loading a meeting for a caller: not found unless they may see it (A3, A4), not allowed per
action; and sending one lifecycle message to its workflow."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from tandem.activities.messages import AppliedChange
from tandem.domain.access import View, may_manage, view_of
from tandem.domain.errors import NotAllowed, not_found
from tandem.domain.meetings import FINISHED, Meeting, MeetingStatus, Reassign, ReassignOutcome
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


def _visible(user: User, found: tuple[MeetingRecord, dict[str, User]] | None) -> Visible | None:
    if found is None:
        return None
    record, people = found
    view = view_of(user, record.meeting, people)
    return None if view is None else Visible(record.meeting, record.archived, view, people)


def load_in(session: Session, user: User, meeting_id: str) -> Visible:
    """:func:`load` inside a unit of work that reads more."""
    visible = _visible(user, _with_people(session, meeting_id))
    if visible is None:
        raise not_found()
    return visible


async def load(svc: Services, user: User, meeting_id: str) -> Visible:
    return await svc.db.read(lambda session: load_in(session, user, meeting_id))


def gate(allowed: bool, action: str) -> None:
    if not allowed:
        raise NotAllowed(f"you may not {action} this meeting")


def managed_by(user: User, action: str) -> Callable[[Visible], None]:
    """Refuses ``action`` unless ``user`` manages the meeting (its facilitator, an admin …)."""
    return lambda visible: gate(may_manage(user, visible.meeting, visible.people), action)


async def send_update(
    svc: Services,
    user: User,
    meeting_id: str,
    *,
    operation: str,
    change: Any,
    idempotency_key: str | None,
    payload: Any,
    authorise: Callable[[Visible], None],
    precheck: Callable[[Meeting], None],
    checks: Callable[[Visible], Awaitable[None]] | None = None,
    respond: Callable[[Visible, Any], dict[str, Any]] | None = None,
) -> Reply:
    """Send one lifecycle message; the reply is the meeting (or ``respond(visible, result)``).

    The key is claimed first, with the caller's view of the meeting: a retry is answered as the
    first attempt was (or would have been, if its answer was lost), even once the change has
    hidden the meeting from the caller (a delete, a reassignment away). Then the caller must see
    the meeting (A3) and be allowed (``authorise``), and the use case's ``checks`` run
    (availability, timing). ``precheck`` is the lifecycle rule the workflow's validator applies;
    it is run here only when the meeting has finished, to refuse at once rather than reopen its
    workflow for nothing.
    """
    found = await svc.db.read(lambda session: _with_people(session, meeting_id))
    visible = _visible(user, found)
    claim = await idempotency.claim(
        svc,
        user,
        idempotency_key,
        operation=operation,
        target=meeting_id,
        payload=payload,
        view=visible.view.value if visible else None,
    )
    if claim.replay is not None:
        return claim.replay

    async def attempt() -> Any:
        if visible is None:
            raise not_found()
        authorise(visible)
        if checks is not None:
            await checks(visible)
        if visible.meeting.status in FINISHED or visible.meeting.status is MeetingStatus.DELETED:
            precheck(visible.meeting)
        return await svc.meetings.apply(visible.meeting, change, request_id=claim.update_id)

    result, earlier = await idempotency.applied_once(
        svc,
        user,
        claim,
        attempt,
        # Answered as the caller saw the meeting when the key was first used.
        recorded=lambda applied: None if claim.view is None else _result(change, applied),
        explain=lambda error: explained(svc, user, error),
    )
    assert found is not None  # it was applied, so it exists
    if earlier:
        assert claim.view is not None  # ``recorded`` answers only when it is known
        view = View(claim.view)
    else:
        assert visible is not None  # ``attempt`` refuses otherwise
        view = visible.view
    shown = Visible(found[0].meeting, found[0].archived, view, found[1])
    body = respond(shown, result) if respond else shown.out(result)
    await idempotency.remember(svc, user, claim, 200, body)
    return Reply(200, body)


def _result(change: Any, applied: AppliedChange) -> Any:
    """What the workflow's update returned, rebuilt from the outcome its transaction recorded."""
    assert applied.meeting is not None
    if isinstance(change, Reassign):
        return ReassignOutcome(meeting=applied.meeting, not_available=applied.accepted_overlaps)
    return applied.meeting


def now() -> datetime:
    return datetime.now(UTC)
