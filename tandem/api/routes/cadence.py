"""Coaching cadence over HTTP (issue 12 item 3, W8 in tandem.domain.cadence): a policy per
division and who is due; the rules live in tandem.usecases.cadence. Team plans for everyone due
are ``POST /v1/coaching/plans`` with ``agents: "due"`` (tandem.api.routes.coaching)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from tandem.api.auth import CurrentUser
from tandem.api.responses import AUTHED, CadenceList, CadencePolicyOut
from tandem.api.services import Svc
from tandem.usecases import cadence as uc
from tandem.usecases.cadence import CadencePolicyBody

router = APIRouter(prefix="/v1/coaching", tags=["coaching"], responses=AUTHED)

Division = Annotated[str, Path(min_length=1, max_length=100, description="a division's name")]


@router.put("/cadence-policies/{division}", response_model=CadencePolicyOut)
async def set_policy(
    division: Division, body: CadencePolicyBody, user: CurrentUser, svc: Svc
) -> dict:
    """W8: every agent of the division coached every ``every_weeks`` weeks, in sessions of
    ``duration_minutes``. Idempotent: the same body again changes nothing. Supervisors and
    quality managers of the division (``coaching.appointment.edit``) and admins."""
    return uc.policy_out(await uc.set_policy(svc, user, division, body))


@router.get("/cadence-policies/{division}", response_model=CadencePolicyOut)
async def get_policy(division: Division, user: CurrentUser, svc: Svc) -> dict:
    return uc.policy_out(await uc.get_policy(svc, user, division))


@router.get("/cadence", response_model=CadenceList)
async def cadence(
    division: Annotated[str, Query(min_length=1, max_length=100)], user: CurrentUser, svc: Svc
) -> dict:
    """W8: each agent of the division with their last held and next booked coaching session,
    due date and status (ok, due, overdue), overdue first."""
    found = await uc.cadence(svc, user, division)
    return {
        "division": division,
        "policy": uc.policy_out(found.policy),
        "items": [uc.entry_out(e) for e in found.entries],
        "next_cursor": None,
    }
