"""Lifecycle actions on a meeting: start (M4), complete (M2), reschedule (M7), cancel (M8),
delete (M6), invite a guest (M9). Each is one Update on the meeting's workflow."""

from __future__ import annotations

from tandem.domain import lifecycle
from tandem.domain.access import may_delete
from tandem.domain.meetings import (
    Cancel,
    Complete,
    Delete,
    InviteGuest,
    Reschedule,
    Start,
)
from tandem.domain.permissions import Permission
from tandem.domain.users import User
from tandem.usecases import availability
from tandem.usecases.context import Services
from tandem.usecases.idempotency import Reply
from tandem.usecases.meeting_access import Visible, gate, managed_by, now, send_update
from tandem.usecases.schemas import GuestBody, ReasonBody, RescheduleBody


async def start_meeting(
    svc: Services, user: User, meeting_id: str, *, idempotency_key: str | None = None
) -> Reply:
    return await send_update(
        svc,
        user,
        meeting_id,
        operation="start",
        change=Start(actor_id=user.id),
        idempotency_key=idempotency_key,
        payload=None,
        authorise=managed_by(user, "start"),
        precheck=lifecycle.check_start,
    )


async def complete_meeting(
    svc: Services, user: User, meeting_id: str, *, idempotency_key: str | None = None
) -> Reply:
    return await send_update(
        svc,
        user,
        meeting_id,
        operation="complete",
        change=Complete(actor_id=user.id),
        idempotency_key=idempotency_key,
        payload=None,
        authorise=managed_by(user, "complete"),
        precheck=lifecycle.check_complete,
    )


async def reschedule_meeting(
    svc: Services,
    user: User,
    meeting_id: str,
    body: RescheduleBody,
    *,
    idempotency_key: str | None = None,
    automatic: bool = False,
) -> Reply:
    """M7. ``automatic``: Tandem moves it for the facilitator (W7+ auto-rebook; ``user`` is the
    facilitator), who is then told as the participants are."""

    async def checks(visible: Visible) -> None:
        m = visible.meeting
        duration = m.duration_minutes if body.duration_minutes is None else body.duration_minutes
        lifecycle.check_timing(m.kind, body.starts_at, duration, now())
        await availability.recheck_moved(svc, visible, body.starts_at, duration)

    return await send_update(
        svc,
        user,
        meeting_id,
        operation="reschedule",
        change=Reschedule(
            actor_id=user.id,
            starts_at=body.starts_at,
            duration_minutes=body.duration_minutes,
            reason=body.reason,
            automatic=automatic,
        ),
        idempotency_key=idempotency_key,
        payload=body.model_dump(mode="json"),
        authorise=managed_by(user, "reschedule"),
        precheck=lifecycle.check_reschedule,
        checks=checks,
    )


async def cancel_meeting(
    svc: Services,
    user: User,
    meeting_id: str,
    body: ReasonBody,
    *,
    idempotency_key: str | None = None,
) -> Reply:
    return await send_update(
        svc,
        user,
        meeting_id,
        operation="cancel",
        change=Cancel(actor_id=user.id, reason=body.reason),
        idempotency_key=idempotency_key,
        payload=body.model_dump(mode="json"),
        authorise=managed_by(user, "cancel"),
        precheck=lifecycle.check_cancel,
    )


def may_delete_started(user: User) -> bool:
    return user.is_admin or user.can(Permission.DELETE_STARTED)


async def delete_meeting(
    svc: Services,
    user: User,
    meeting_id: str,
    reason: str | None = None,
    *,
    idempotency_key: str | None = None,
) -> Reply:
    started_ok = may_delete_started(user)
    return await send_update(
        svc,
        user,
        meeting_id,
        operation="delete",
        change=Delete(actor_id=user.id, reason=reason, may_delete_started=started_ok),
        idempotency_key=idempotency_key,
        payload={"reason": reason},
        authorise=lambda v: gate(may_delete(user, v.meeting, v.people), "delete"),
        precheck=lambda m: lifecycle.check_delete(m, started_ok, now()),
    )


async def invite_guest(
    svc: Services,
    user: User,
    meeting_id: str,
    body: GuestBody,
    *,
    idempotency_key: str | None = None,
) -> Reply:
    return await send_update(
        svc,
        user,
        meeting_id,
        operation="invite_guest",
        change=InviteGuest(actor_id=user.id, email=body.email, replaces=body.replaces),
        idempotency_key=idempotency_key,
        payload=body.model_dump(mode="json"),
        authorise=managed_by(user, "invite guests to"),
        precheck=lambda m: lifecycle.check_invite_guest(m, body.email, body.replaces),
    )
