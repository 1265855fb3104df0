"""Booked coaching as WFM activities over HTTP (issue 12 item 5); the rules live in
tandem.usecases.wfm_export.

JSON by default; CSV in the schedule import's columns with ``format=csv``, or with
``Accept: text/csv`` when no ``format`` is given (``format`` wins over the header)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tandem.api.auth import CurrentUser
from tandem.api.responses import AUTHED, CoachingActivitiesOut
from tandem.api.routes.wfm import Unit
from tandem.api.services import Svc
from tandem.domain.inputs import Instant
from tandem.domain.times import zone
from tandem.usecases import wfm_export as uc

router = APIRouter(prefix="/v1/wfm", tags=["wfm"], responses=AUTHED)

CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "JSON, or with format=csv (or Accept: text/csv) the import's CSV columns",
    }
}


def _wants_csv(request: Request, format: str | None) -> bool:
    if format is not None:
        return format == "csv"
    accept = request.headers.get("accept", "")
    return any(part.split(";")[0].strip() == "text/csv" for part in accept.split(","))


@router.get(
    "/coaching-activities",
    response_model=CoachingActivitiesOut,
    response_model_by_alias=True,
    responses=CSV_ANSWER,
)
async def coaching_activities(
    request: Request,
    user: CurrentUser,
    svc: Svc,
    business_unit: Unit,
    start: Annotated[Instant, Query(alias="from")],
    to: Annotated[Instant, Query()],
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
) -> Any:
    """Booked coaching (not cancelled or deleted) overlapping [from, to) as activities on the
    schedules of the unit's agents (and of facilitators who are agents of the unit)."""
    found = await uc.coaching_activities(svc, user, business_unit, start, to)
    if _wants_csv(request, format):
        return Response(
            found.csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="coaching-activities.csv"'},
        )
    tz = zone(found.timezone)
    return {
        "business_unit": found.business_unit,
        "timezone": found.timezone,
        "from": found.start.isoformat(),
        "to": found.end.isoformat(),
        "items": [
            {
                "agent_id": a.agent_id,
                "role": a.role,
                "meeting_id": a.meeting_id,
                "status": a.status.value,
                "starts_at": a.starts_at.astimezone(tz).isoformat(),
                "ends_at": a.ends_at.astimezone(tz).isoformat(),
                "shift_start": a.shift_start.astimezone(tz).isoformat(),
                "shift_end": a.shift_end.astimezone(tz).isoformat(),
                "category": "meeting",
                "paid": True,
                "interruptible": False,
                "code": a.code,
            }
            for a in found.items
        ],
    }
