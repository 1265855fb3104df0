"""Bulk reassignment over HTTP (SPEC M10); the rules live in tandem.usecases.reassignments."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tandem.api.auth import CurrentUser
from tandem.api.replies import as_response
from tandem.api.responses import AUTHED, CHANGES, ReassignmentOut, replayable
from tandem.api.services import IdempotencyKey, Svc
from tandem.usecases import reassignments as uc
from tandem.usecases.reassignments import ReassignmentBody

router = APIRouter(prefix="/v1/reassignments", tags=["reassignments"], responses=AUTHED)


@router.post(
    "",
    status_code=202,
    response_model=ReassignmentOut,
    responses={**CHANGES, **replayable(202, "The job, started (or the same job again)")},
)
async def start_reassignment(
    body: ReassignmentBody, user: CurrentUser, svc: Svc, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Move every future, not-started meeting and/or active series of one person to another,
    each through its own reassignment. Follow it with ``GET /v1/reassignments/{id}``."""
    return as_response(
        await uc.start_reassignment(svc, user, body, idempotency_key=idempotency_key)
    )


@router.get("/{job_id}", response_model=ReassignmentOut)
async def get_reassignment(job_id: str, user: CurrentUser, svc: Svc) -> dict:
    return await uc.get_reassignment(svc, user, job_id)
