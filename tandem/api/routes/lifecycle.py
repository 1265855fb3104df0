"""Lifecycle actions over HTTP: start (M4), complete (M2), reschedule (M7), cancel (M8),
delete (M6), invite a guest (M9). The rules live in tandem.usecases.lifecycle."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from tandem.api.auth import CurrentUser
from tandem.api.replies import as_response
from tandem.api.responses import CHANGES, MEETING, replayable
from tandem.api.services import IdempotencyKey, Svc
from tandem.usecases import lifecycle as uc
from tandem.usecases.schemas import GuestBody, OptionalReasonBody, ReasonBody, RescheduleBody

router = APIRouter(
    prefix="/v1/meetings",
    tags=["meetings"],
    responses={**CHANGES, **replayable()},
)


@router.post("/{meeting_id}/start", **MEETING)
async def start_meeting(
    meeting_id: str, user: CurrentUser, svc: Svc, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    return as_response(
        await uc.start_meeting(svc, user, meeting_id, idempotency_key=idempotency_key)
    )


@router.post("/{meeting_id}/complete", **MEETING)
async def complete_meeting(
    meeting_id: str, user: CurrentUser, svc: Svc, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    return as_response(
        await uc.complete_meeting(svc, user, meeting_id, idempotency_key=idempotency_key)
    )


@router.post("/{meeting_id}/reschedule", **MEETING)
async def reschedule_meeting(
    meeting_id: str,
    body: RescheduleBody,
    user: CurrentUser,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return as_response(
        await uc.reschedule_meeting(svc, user, meeting_id, body, idempotency_key=idempotency_key)
    )


@router.post("/{meeting_id}/cancel", **MEETING)
async def cancel_meeting(
    meeting_id: str,
    body: ReasonBody,
    user: CurrentUser,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return as_response(
        await uc.cancel_meeting(svc, user, meeting_id, body, idempotency_key=idempotency_key)
    )


@router.delete("/{meeting_id}", **MEETING)
async def delete_meeting(
    meeting_id: str,
    user: CurrentUser,
    svc: Svc,
    body: Annotated[OptionalReasonBody | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    reason = body.reason if body else None
    return as_response(
        await uc.delete_meeting(svc, user, meeting_id, reason, idempotency_key=idempotency_key)
    )


@router.post("/{meeting_id}/guests", **MEETING)
async def invite_guest(
    meeting_id: str,
    body: GuestBody,
    user: CurrentUser,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return as_response(
        await uc.invite_guest(svc, user, meeting_id, body, idempotency_key=idempotency_key)
    )
