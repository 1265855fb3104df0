"""Appointments that heal themselves over HTTP (W7+): an invalid appointment's replacement slots
and the division settings that decide what Tandem does with them; the rules live in
tandem.usecases.replacements and tandem.domain.replacements."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from tandem.api.auth import CurrentUser
from tandem.api.responses import AUTHED, DivisionSettingsOut, ReplacementSlotsOut, errors
from tandem.api.routes.coaching import slots_out
from tandem.api.services import Svc
from tandem.domain.replacements import DivisionSettings
from tandem.usecases import replacements as uc
from tandem.usecases.meeting_access import now
from tandem.usecases.schemas import iso

router = APIRouter(tags=["coaching"], responses=AUTHED)

Division = Annotated[str, Path(min_length=1, max_length=100)]


@router.get(
    "/v1/meetings/{meeting_id}/replacement-slots",
    response_model=ReplacementSlotsOut,  # documents the JSONResponse
    response_model_exclude_unset=True,
    responses=errors(409),
)
async def replacement_slots(meeting_id: str, user: CurrentUser, svc: Svc) -> JSONResponse:
    """W7+: the best times to move an ``invalid_schedule`` coaching appointment to: the same
    people and duration within its divisions' ``replacement_days``, ranked as the slot query
    ranks. 409 naming the status for any other meeting."""
    found = await uc.replacement_slots(svc, user, meeting_id)
    if found.result is None:  # nobody left to look for: no slot
        moment = now()
        out: dict[str, Any] = {
            "window": {
                "starts_at": iso(moment),
                "ends_at": iso(moment + timedelta(days=found.policy.replacement_days)),
            },
            "feasible": 0,
            "slots": [],
        }
    else:
        out = slots_out(found.result)
    out |= {
        "meeting_id": found.meeting.id,
        "replacement_days": found.policy.replacement_days,
        "auto_rebook": found.policy.auto_rebook,
    }
    return JSONResponse(out)


def _settings_out(division: str, settings: DivisionSettings) -> dict[str, Any]:
    return {"division": division, **settings.model_dump()}


@router.get("/v1/coaching/division-settings/{division}", response_model=DivisionSettingsOut)
async def get_division_settings(division: Division, user: CurrentUser, svc: Svc) -> dict:
    """A division's W7+ policy (the defaults until someone sets it); for its members."""
    return _settings_out(division, await uc.get_settings(svc, user, division))


@router.put("/v1/coaching/division-settings/{division}", response_model=DivisionSettingsOut)
async def put_division_settings(
    division: Division, body: DivisionSettings, user: CurrentUser, svc: Svc
) -> dict:
    """Set a division's W7+ policy as a whole (fields left out take their defaults): admins, and
    the division's members who import its WFM schedules."""
    return _settings_out(division, await uc.put_settings(svc, user, division, body))
