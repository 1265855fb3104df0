"""Reassigning a meeting over HTTP (SPEC M10); the rules live in tandem.usecases.reassign."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tandem.api.auth import CurrentUser
from tandem.api.replies import as_response
from tandem.api.responses import AUTHED, CHANGES, CandidateList, ReassignedOut, replayable
from tandem.api.services import IdempotencyKey, Svc
from tandem.usecases import reassign as uc
from tandem.usecases.schemas import ReassignBody, clash_out

router = APIRouter(prefix="/v1/meetings", tags=["meetings"], responses=AUTHED)


@router.get("/{meeting_id}/reassign-candidates", response_model=CandidateList)
async def reassign_candidates(meeting_id: str, user: CurrentUser, svc: Svc) -> dict:
    found = await uc.reassign_candidates(svc, user, meeting_id)
    items = [
        {
            "user_id": c.user.id,
            "name": c.user.name,
            "timezone": c.user.timezone,
            "available": c.available,
            "selectable": c.selectable,
            "blocks": [clash_out(b) for b in c.blocks],
        }
        for c in found
    ]
    return {"items": items, "next_cursor": None}


@router.post(
    "/{meeting_id}/reassign",
    response_model=ReassignedOut,
    response_model_exclude_unset=True,
    responses={**CHANGES, **replayable()},
)
async def reassign_meeting(
    meeting_id: str,
    body: ReassignBody,
    user: CurrentUser,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return as_response(
        await uc.reassign_meeting(svc, user, meeting_id, body, idempotency_key=idempotency_key)
    )
