"""Coaching over HTTP: slots (W2-W4) and team plans (W6); the rules live in
tandem.usecases.coaching."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body
from fastapi.responses import Response

from tandem.api.auth import CurrentUser
from tandem.api.responses import AUTHED, CHANGES, CommitAccepted, PlanOut, SlotsOut
from tandem.api.services import Svc
from tandem.domain.plans import PlanState
from tandem.solver import FreeBusy, ServiceLevelDetail, SlotResult, from_minutes
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


def slots_out(result: SlotResult) -> dict[str, Any]:
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
    return out


def _schedules_json(schedules: dict[str, FreeBusy]) -> str:
    """Everyone's free/busy as JSON text, written directly. Six weeks are over a thousand
    segments a person: a dict per segment, an isoformat() per instant and then encoding them
    all cost several times the slot search (issue 13). Every value written here is an instant,
    ``free``/``busy`` or a BusyReason value, none of which needs escaping."""
    found = {person_id: free_busy.segments() for person_id, free_busy in schedules.items()}
    instants = sorted({m for segments in found.values() for s in segments for m in s[:2]})
    # datetime64 prints what isoformat() does for a UTC minute, without its offset.
    texts = np.datetime_as_string(np.array(instants, dtype="datetime64[m]"), unit="s")
    at = {minute: f"{text}+00:00" for minute, text in zip(instants, texts.tolist(), strict=True)}
    people = []
    for person_id, segments in found.items():
        items = ",".join(
            f'{{"starts_at":"{at[start]}","ends_at":"{at[end]}","status":"{status}",'
            + ('"reason":null}' if reason is None else f'"reason":"{reason}"}}')
            for start, end, status, reason in segments
        )
        people.append(f"{json.dumps(person_id)}:[{items}]")
    return "{" + ",".join(people) + "}"


def slots_json(result: SlotResult, include_schedules: bool) -> bytes:
    """The slot query's answer (SlotsOut) as JSON, serialised once."""
    text = json.dumps(slots_out(result), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    if include_schedules:
        text = f'{text[:-1]},"schedules":{_schedules_json(result.schedules)}}}'
    return text.encode()


@router.post(
    "/slots/query",
    response_model=SlotsOut,  # documents the Response
    response_model_exclude_unset=True,
)
async def query_slots(body: SlotQueryBody, user: CurrentUser, svc: Svc) -> Response:
    """W2-W4: the best slots for these agents and this facilitator, and everyone's free/busy."""
    result = await uc.query_slots(svc, user, body)
    # Written as JSON here: FastAPI's encoder would walk every free/busy segment.
    return Response(slots_json(result, body.include_schedules), media_type="application/json")


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
