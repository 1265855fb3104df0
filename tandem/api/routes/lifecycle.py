"""Lifecycle actions on a meeting: start (M4), complete (M2), reschedule (M7), cancel (M8),
delete (M6), invite a guest (M9). Each is one Update on the meeting's workflow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from tandem.api import availability
from tandem.api.auth import CurrentUser
from tandem.api.idempotency import IdempotencyKey
from tandem.api.meeting_access import gate, load, now, send_update
from tandem.api.schemas import GuestBody, OptionalReasonBody, ReasonBody, RescheduleBody
from tandem.api.services import Svc
from tandem.domain import lifecycle
from tandem.domain.access import may_delete, may_manage
from tandem.domain.meetings import (
    Cancel,
    Complete,
    Delete,
    InviteGuest,
    MeetingKind,
    Reschedule,
    Start,
)
from tandem.domain.permissions import Permission

router = APIRouter(prefix="/v1/meetings", tags=["meetings"])


@router.post("/{meeting_id}/start")
async def start_meeting(
    meeting_id: str, user: CurrentUser, svc: Svc, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    visible = await load(svc, user, meeting_id)
    gate(may_manage(user, visible.meeting, visible.people), "start")
    return await send_update(
        svc,
        user,
        visible,
        operation="start",
        change=Start(actor_id=user.id),
        idempotency_key=idempotency_key,
        payload=None,
        precheck=lifecycle.check_start,
    )


@router.post("/{meeting_id}/complete")
async def complete_meeting(
    meeting_id: str, user: CurrentUser, svc: Svc, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    visible = await load(svc, user, meeting_id)
    gate(may_manage(user, visible.meeting, visible.people), "complete")
    return await send_update(
        svc,
        user,
        visible,
        operation="complete",
        change=Complete(actor_id=user.id),
        idempotency_key=idempotency_key,
        payload=None,
        precheck=lifecycle.check_complete,
    )


@router.post("/{meeting_id}/reschedule")
async def reschedule_meeting(
    meeting_id: str,
    body: RescheduleBody,
    user: CurrentUser,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    visible = await load(svc, user, meeting_id)
    gate(may_manage(user, visible.meeting, visible.people), "reschedule")
    duration = (
        visible.meeting.duration_minutes if body.duration_minutes is None else body.duration_minutes
    )
    lifecycle.check_timing(visible.meeting.kind, body.starts_at, duration, now())
    m = visible.meeting
    if m.kind is MeetingKind.COACHING:  # M7: a coaching time must still pass W3
        await availability.recheck_coaching(
            svc,
            attendees=[visible.people[p] for p in m.participant_ids if p in visible.people],
            facilitator_id=m.facilitator_id,
            starts_at=body.starts_at,
            duration=duration,
            excluding_meeting=m.id,
        )
    return await send_update(
        svc,
        user,
        visible,
        operation="reschedule",
        change=Reschedule(
            actor_id=user.id,
            starts_at=body.starts_at,
            duration_minutes=body.duration_minutes,
            reason=body.reason,
        ),
        idempotency_key=idempotency_key,
        payload=body.model_dump(mode="json"),
        precheck=lifecycle.check_reschedule,
    )


@router.post("/{meeting_id}/cancel")
async def cancel_meeting(
    meeting_id: str,
    body: ReasonBody,
    user: CurrentUser,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    visible = await load(svc, user, meeting_id)
    gate(may_manage(user, visible.meeting, visible.people), "cancel")
    return await send_update(
        svc,
        user,
        visible,
        operation="cancel",
        change=Cancel(actor_id=user.id, reason=body.reason),
        idempotency_key=idempotency_key,
        payload=body.model_dump(mode="json"),
        precheck=lifecycle.check_cancel,
    )


@router.delete("/{meeting_id}")
async def delete_meeting(
    meeting_id: str,
    user: CurrentUser,
    svc: Svc,
    body: Annotated[OptionalReasonBody | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    visible = await load(svc, user, meeting_id)
    gate(may_delete(user, visible.meeting, visible.people), "delete")
    may_delete_started = user.is_admin or user.can(Permission.DELETE_STARTED)
    reason = body.reason if body else None
    return await send_update(
        svc,
        user,
        visible,
        operation="delete",
        change=Delete(actor_id=user.id, reason=reason, may_delete_started=may_delete_started),
        idempotency_key=idempotency_key,
        payload={"reason": reason},
        precheck=lambda m: lifecycle.check_delete(m, may_delete_started, now()),
    )


@router.post("/{meeting_id}/guests")
async def invite_guest(
    meeting_id: str,
    body: GuestBody,
    user: CurrentUser,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    visible = await load(svc, user, meeting_id)
    gate(may_manage(user, visible.meeting, visible.people), "invite guests to")
    return await send_update(
        svc,
        user,
        visible,
        operation="invite_guest",
        change=InviteGuest(actor_id=user.id, email=body.email, replaces=body.replaces),
        idempotency_key=idempotency_key,
        payload=body.model_dump(mode="json"),
        precheck=lambda m: lifecycle.check_invite_guest(m, body.email, body.replaces),
    )
