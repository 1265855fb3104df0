"""Coaching over HTTP: slots (W2-W4) and team plans (W6); the rules live in
tandem.usecases.coaching."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from tandem.api.auth import CurrentUser
from tandem.api.responses import AUTHED, CHANGES, CommitAccepted, PlanOut, SlotsOut
from tandem.api.services import Svc
from tandem.domain.plans import PlanState
from tandem.solver import ServiceLevelDetail, SlotResult, from_minutes
from tandem.usecases import coaching as uc
from tandem.usecases.coaching import CommitBody, Plan, PlanBody, SlotQueryBody
from tandem.usecases.schemas import iso

router = APIRouter(prefix="/v1/coaching", tags=["coaching"], responses=AUTHED)
PLAN = {"response_model": PlanOut, "response_model_exclude_unset": True}


def _finite(value: float) -> float | None:
    """JSON has no infinity: an ASA the agents can never reach is null."""
    return value if math.isfinite(value) else None


def _service_level_out(worst: ServiceLevelDetail | None) -> dict[str, Any] | None:
    if worst is None:
        return None
    return {
        "interval_start": iso(from_minutes(worst.interval_start)),
        "business_unit": worst.business_unit,
        "before_percent": worst.before_percent,
        "after_percent": worst.after_percent,
        "target_percent": worst.target_percent,
        "floor_percent": worst.floor_percent,
        "contacts": worst.contacts,
        "before_asa_seconds": _finite(worst.before_asa_seconds),
        "after_asa_seconds": _finite(worst.after_asa_seconds),
    }


def _slots_out(result: SlotResult, include_schedules: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "window": {
            "starts_at": iso(from_minutes(result.window.start)),
            "ends_at": iso(from_minutes(result.window.end)),
        },
        "feasible": result.feasible_count,
        "slots": [
            {
                "starts_at": iso(from_minutes(slot.start)),
                "ends_at": iso(from_minutes(slot.end)),
                "score": slot.score,
                "rating": slot.rating.value,
                "reasons": slot.reasons,
                "staffing": None
                if slot.worst is None
                else {
                    "interval_starts_at": iso(from_minutes(slot.worst.interval_start)),
                    "business_unit": slot.worst.business_unit,
                    "scheduled": slot.worst.scheduled,
                    "forecast": slot.worst.forecast,
                    "taken_off_queue": slot.worst.removed,
                    "difference": slot.worst.difference,
                },
                "service_level": _service_level_out(slot.service_level),
                "sl_drop_points": slot.sl_drop,
            }
            for slot in result.slots
        ],
    }
    if result.below_floor_left_out:
        out["below_floor_left_out"] = result.below_floor_left_out
    if include_schedules:
        # Six weeks is over a thousand segments a person; each boundary ends one segment and
        # starts the next, so format each instant once.
        formatted: dict[int, str] = {}

        def at(minute: int) -> str:
            if (text := formatted.get(minute)) is None:
                text = formatted[minute] = from_minutes(minute).isoformat()
            return text

        out["schedules"] = {
            person_id: [
                {"starts_at": at(start), "ends_at": at(end), "status": status, "reason": reason}
                for start, end, status, reason in free_busy.segments()
            ]
            for person_id, free_busy in result.schedules.items()
        }
    return out


@router.post(
    "/slots/query",
    response_model=SlotsOut,  # documents the JSONResponse
    response_model_exclude_unset=True,
)
async def query_slots(body: SlotQueryBody, user: CurrentUser, svc: Svc) -> JSONResponse:
    """W2-W4: the best slots for these agents and this facilitator, and everyone's free/busy."""
    result = await uc.query_slots(svc, user, body)
    # Already plain JSON types: skip FastAPI's encoder, which walks every free/busy segment.
    return JSONResponse(_slots_out(result, body.include_schedules))


def _plan_out(plan: Plan) -> dict[str, Any]:
    out = {"id": plan.id, "state": plan.state.value, **plan.result}
    if plan.commit is not None:
        out["commit"] = plan.commit.model_dump(mode="json")
    return out


@router.post("/plans", status_code=201, **PLAN)
async def preview_plan(body: PlanBody, user: CurrentUser, svc: Svc) -> dict:
    """W6: one session per agent with a pool of facilitators; previewed, not yet booked."""
    return _plan_out(await uc.preview_plan(svc, user, body))


@router.get("/plans/{plan_id}", **PLAN)
async def get_plan(plan_id: str, user: CurrentUser, svc: Svc) -> dict:
    return _plan_out(await uc.get_plan(svc, user, plan_id))


@router.post(
    "/plans/{plan_id}/commit", status_code=202, response_model=CommitAccepted, responses=CHANGES
)
async def commit_plan(
    plan_id: str, user: CurrentUser, svc: Svc, body: Annotated[CommitBody | None, Body()] = None
) -> dict:
    """Book the previewed plan as a whole, durably; GET the plan to follow its progress."""
    total = await uc.commit_plan(svc, user, plan_id, body)
    return {"id": plan_id, "state": PlanState.COMMITTING.value, "total": total}
