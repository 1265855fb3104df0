"""Meetings: create (M1, A5, W3), the two lists (A6), view (A4, M5), edit (M3), archive (M11);
their history (O1) is in ``tandem.usecases.history``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from tandem.domain import lifecycle
from tandem.domain.access import (
    View,
    may_archive,
    may_coach,
    may_facilitate,
    refuse_scheduling_for,
    view_of,
)
from tandem.domain.errors import Conflict, DomainError, Invalid, NotAllowed, invalid
from tandem.domain.meetings import (
    Edit,
    Meeting,
    MeetingChanges,
    MeetingEvent,
    MeetingKind,
    MeetingStatus,
)
from tandem.domain.notifications import Contact
from tandem.domain.permissions import Permission
from tandem.domain.users import User
from tandem.store import meetings, users
from tandem.usecases import availability, idempotency
from tandem.usecases.clashes import explained
from tandem.usecases.context import Services
from tandem.usecases.idempotency import Reply
from tandem.usecases.meeting_access import Visible, gate, load, managed_by, now, send_update
from tandem.usecases.schemas import MeetingCreate, MeetingPatch, meeting_out
from tandem.usecases.temporal import AlreadyFinished

Role = Literal["facilitator", "participant"]


def check_creator(user: User, kind: MeetingKind, participants: list[User]) -> None:
    """Who may schedule: 1:1s need one-to-ones.facilitate; coaching needs the add permission
    and every attendee in one of the caller's divisions (A5)."""
    if user.is_admin:
        return
    if kind is MeetingKind.ONE_TO_ONE:
        if not (user.can(Permission.FACILITATE) or user.can(Permission.SCHEDULE_FOR_OTHERS)):
            raise NotAllowed("scheduling 1:1s needs the one-to-ones.facilitate permission")
        return
    if not user.can(Permission.COACHING_ADD):
        raise NotAllowed("scheduling coaching needs the coaching.appointment.add permission")
    for index, agent in enumerate(participants):
        if not may_coach(user, agent):
            raise NotAllowed(
                f"{agent.name} is not in any of your divisions (A5)",
                field=f"participant_ids.{index}",
                rule="A5",
            )


async def _people(
    svc: Services, body: MeetingCreate, facilitator_id: str, known: dict[str, User] | None
) -> tuple[User, list[User]]:
    if known is None:
        wanted = [facilitator_id, *body.participant_ids]
        known = await svc.db.read(lambda session: users.get_users(session, wanted))
    found = known
    facilitator = found.get(facilitator_id)
    if facilitator is None:
        raise invalid("facilitator_id", f"no user {facilitator_id}")
    participants = []
    for index, pid in enumerate(body.participant_ids):
        if pid not in found:
            raise invalid(f"participant_ids.{index}", f"no user {pid}")
        participants.append(found[pid])
    return facilitator, participants


async def create_meeting(
    svc: Services,
    user: User,
    body: MeetingCreate,
    *,
    idempotency_key: str | None = None,
    people: dict[str, User] | None = None,
) -> Reply:
    """``people``: the facilitator and participants (by id), when the caller has read them
    already (the API reads them with the caller's token, in one database hop)."""
    facilitator_id = body.facilitator_id or user.id
    facilitator, participants = await _people(svc, body, facilitator_id, people)
    check_creator(user, body.kind, participants)
    if facilitator_id in body.participant_ids:
        raise invalid("participant_ids", "the facilitator cannot also be a participant")
    if reason := may_facilitate(facilitator, body.kind, participants):
        raise invalid("facilitator_id", reason)
    if body.kind is MeetingKind.ONE_TO_ONE:
        refuse_scheduling_for(user, facilitator)
    if body.kind is MeetingKind.COACHING:
        for index, agent in enumerate(participants):
            if not agent.can(Permission.COACHING_PARTICIPATE):
                raise invalid(f"participant_ids.{index}", f"{agent.name} cannot attend coaching")
    lifecycle.check_timing(body.kind, body.starts_at, body.minutes, now())
    if body.kind is MeetingKind.COACHING:
        await availability.recheck_coaching(
            svc,
            attendees=participants,
            facilitator_id=facilitator.id,
            starts_at=body.starts_at,
            duration=body.minutes,
        )

    claim = await idempotency.claim_create(
        svc, user, idempotency_key, operation="create", body=body
    )
    if claim.replay is not None:
        return claim.replay
    assert claim.resource_id is not None
    meeting = Meeting(
        id=claim.resource_id,
        kind=body.kind,
        name=body.name,
        description=body.description,
        facilitator_id=facilitator_id,
        participant_ids=body.participant_ids,
        starts_at=body.starts_at,
        duration_minutes=body.minutes,
        timezone=body.timezone or facilitator.timezone,
        location=body.location,
        participant_preview=body.participant_preview,
        focus=body.focus,
        created_by=user.id,
        created_at=now(),
    )
    try:
        people = {u.id: Contact.of(u) for u in (facilitator, *participants, user)}
        created = await svc.meetings.create(meeting, user.id, people=list(people.values()))
    except AlreadyFinished:
        created = await _finished_create(svc, meeting.id)
    except DomainError as error:
        await idempotency.refuse(svc, user, claim, await explained(svc, user, error))
    out = meeting_out(created, False, View.FULL)
    await idempotency.remember(svc, user, claim, 201, out)
    return Reply(201, out)


async def _finished_create(svc: Services, meeting_id: str) -> Meeting:
    """A retried create whose workflow already ended: the meeting it made, if it made one."""
    record = await svc.db.read(lambda session: meetings.get_meeting(session, meeting_id))
    if record is None:
        raise Conflict("this request was already refused; retry with a new Idempotency-Key")
    return record.meeting


def facilitates(user: User) -> bool:
    """A6: who has an I'm-the-facilitator list at all."""
    return user.is_admin or user.can(Permission.FACILITATE) or user.can(Permission.COACHING_ADD)


def default_role(user: User) -> Role:
    return "facilitator" if facilitates(user) else "participant"


def parse_statuses(raw: str | None) -> list[MeetingStatus] | None:
    if not raw:
        return None
    try:
        return [MeetingStatus(s.strip()) for s in raw.split(",") if s.strip()]
    except ValueError:
        known = ", ".join(s.value for s in MeetingStatus)
        raise invalid("status", f"unknown status in {raw!r}; known: {known}") from None


@dataclass(frozen=True)
class ListedMeeting:
    meeting: Meeting
    archived: bool
    view: View


@dataclass(frozen=True)
class MeetingPage:
    role: Role
    items: list[ListedMeeting]
    next_cursor: str | None


async def list_meetings(
    svc: Services,
    user: User,
    *,
    role: Role | None = None,
    statuses: list[MeetingStatus] | None = None,
    archived: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> MeetingPage:
    role = role or default_role(user)
    if role == "facilitator" and not facilitates(user):
        raise NotAllowed("only people who facilitate meetings have an I'm-the-facilitator list")
    try:
        page = await svc.db.read(
            lambda session: meetings.list_meetings(
                session,
                user_id=user.id,
                role=role,
                statuses=statuses,
                archived=archived,
                cursor=cursor,
                limit=limit,
            )
        )
    except ValueError:
        raise invalid("cursor", "malformed cursor") from None
    items = [
        ListedMeeting(r.meeting, r.archived, view_of(user, r.meeting, {}) or View.PREVIEW)
        for r in page.items
    ]
    return MeetingPage(role, items, page.next_cursor)


async def view_meeting(svc: Services, user: User, meeting_id: str) -> Visible:
    return await load(svc, user, meeting_id)


async def edit_meeting(
    svc: Services,
    user: User,
    meeting_id: str,
    body: MeetingPatch,
    *,
    idempotency_key: str | None = None,
) -> Reply:
    changes = MeetingChanges.model_validate(body.model_dump(exclude={"reason"}, exclude_none=True))
    if not changes.model_dump(exclude_none=True):
        raise invalid("body", "nothing to change")

    async def checks(visible: Visible) -> None:
        m = visible.meeting
        if m.kind is MeetingKind.COACHING and changes.moves_time:
            starts_at = changes.starts_at or m.starts_at
            duration = changes.duration_minutes or m.duration_minutes
            lifecycle.check_timing(m.kind, starts_at, duration, now())
            await availability.recheck_moved(svc, visible, starts_at, duration)

    return await send_update(
        svc,
        user,
        meeting_id,
        operation="edit",
        change=Edit(actor_id=user.id, changes=changes, reason=body.reason),
        idempotency_key=idempotency_key,
        payload=body.model_dump(mode="json"),
        authorise=managed_by(user, "edit"),
        precheck=lifecycle.check_edit,
        checks=checks,
    )


async def set_archived(svc: Services, user: User, meeting_id: str, archived: bool) -> Visible:
    visible = await load(svc, user, meeting_id)
    gate(may_archive(user, visible.meeting), "archive")
    moment = now()
    if archived:
        lifecycle.check_archive(visible.meeting, moment)
    elif not visible.archived:
        raise Invalid("the meeting is not archived", field="archived")

    def write(session: Session) -> None:
        meetings.set_archived(session, visible.meeting.id, archived, moment)
        meetings.record_event(
            session,
            MeetingEvent(
                id=str(uuid.uuid4()),
                meeting_id=visible.meeting.id,
                at=moment,
                action="archived" if archived else "unarchived",
                actor_id=user.id,
            ),
        )

    await svc.db.write(write)
    return Visible(visible.meeting, archived, visible.view, visible.people)
