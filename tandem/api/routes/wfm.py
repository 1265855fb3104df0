"""WFM imports and views over HTTP (SPEC W1): schedules as JSON or CSV, staffing as JSON; the
imports (and W7's re-check of booked coaching) live in tandem.usecases.wfm.

Who: imports need ``wfm.schedule.import`` (quality managers, admins), views ``wfm.schedule.view``
(supervisors and up); the permission is checked before the body is read, so a caller without it
gets 403 whatever they send. Rules about the data are in :mod:`tandem.domain.wfm`. An import is
all or nothing: any error (422 naming the field path, or for CSV the line and column; 409 for an
agent of another business unit or a changed business-unit zone) leaves the stored data as it was,
and is counted in ``tandem_import_failures_total{source="wfm"}`` (SPEC O2).

Times in the answers of the GET endpoints are in the business unit's zone, with their offset, so
they read like the WFM system's own and can be sent back as they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from tandem.api.auth import CurrentUser
from tandem.api.errors import ApiError
from tandem.api.openapi import request_body
from tandem.api.responses import (
    AUTHED,
    ScheduleImported,
    ScheduleView,
    StaffingImported,
    StaffingView,
    errors,
)
from tandem.api.services import Svc
from tandem.domain.errors import invalid
from tandem.domain.inputs import Instant
from tandem.domain.times import zone
from tandem.domain.wfm import (
    MAX_CSV_BYTES,
    BusinessUnit,
    ScheduleImport,
    StaffingImport,
)
from tandem.observability.metrics import WFM_IMPORTS, counting_failures
from tandem.store.wfm import StoredShift, WfmActivity
from tandem.usecases import wfm as uc
from tandem.usecases.wfm import check_import

router = APIRouter(prefix="/v1/wfm", tags=["wfm"], responses=AUTHED)
IMPORT_ERRORS = errors(409, 413)

MAX_JSON_BYTES = MAX_CSV_BYTES


async def _body(request: Request, limit: int) -> bytes:
    raw = await request.body()
    if len(raw) > limit:
        raise ApiError(413, "TooLarge", f"the body is larger than {limit // 2**20} MB")
    return raw


def _parse(model: type[Any], raw: bytes) -> Any:
    """The body as ``model``, with FastAPI's own 422 shape (field paths like agents.2.shifts.0)."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None


@router.put(
    "/schedules",
    openapi_extra=request_body(ScheduleImport),
    response_model=ScheduleImported,
    responses=IMPORT_ERRORS,
)
async def put_schedules(request: Request, user: CurrentUser, svc: Svc) -> dict:
    """Replace a business unit's week(s) of shifts and activities (see tandem.domain.wfm)."""
    check_import(user)
    with counting_failures(WFM_IMPORTS):
        body: ScheduleImport = _parse(ScheduleImport, await _body(request, MAX_JSON_BYTES))
        return (await uc.import_schedule(svc, user, body)).summary()


@router.post(
    "/schedules/import",
    response_model=ScheduleImported,
    responses=errors(400, 409, 413),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def import_schedules_csv(request: Request, user: CurrentUser, svc: Svc) -> dict:
    """The same as PUT /v1/wfm/schedules from a CSV file: sent as the body (text/csv) or as the
    form field ``file`` (multipart/form-data). Columns: see tandem.domain.wfm.parse_schedule_csv.
    """
    check_import(user)
    with counting_failures(WFM_IMPORTS):
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise invalid("file", "send the CSV as the form field 'file'")
            raw = await upload.read(MAX_CSV_BYTES + 1)
        else:
            raw = await _body(request, MAX_CSV_BYTES)
        return (await uc.import_schedule_csv(svc, user, raw)).summary()


@router.put(
    "/staffing",
    openapi_extra=request_body(StaffingImport),
    response_model=StaffingImported,
    responses=IMPORT_ERRORS,
)
async def put_staffing(request: Request, user: CurrentUser, svc: Svc) -> dict:
    """Replace a business unit's staffing (forecast and scheduled headcount per 15 minutes) from
    the first interval given to the end of the last one."""
    check_import(user)
    with counting_failures(WFM_IMPORTS):
        body: StaffingImport = _parse(StaffingImport, await _body(request, MAX_JSON_BYTES))
        return (await uc.import_staffing(svc, user, body)).summary()


Unit = Annotated[BusinessUnit, Query()]
From = Annotated[Instant | None, Query(alias="from")]
To = Annotated[Instant | None, Query()]


def _range(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end <= start:
        raise invalid("to", "must be after from")


def _activity_out(a: WfmActivity, tz: Any) -> dict[str, Any]:
    return {
        "starts_at": a.starts_at.astimezone(tz).isoformat(),
        "ends_at": a.ends_at.astimezone(tz).isoformat(),
        "category": a.category,
        "paid": a.paid,
        "interruptible": a.interruptible,
    }


def _shift_out(shift: StoredShift, tz: Any) -> dict[str, Any]:
    return {
        "starts_at": shift.starts_at.astimezone(tz).isoformat(),
        "ends_at": shift.ends_at.astimezone(tz).isoformat(),
        "activities": [_activity_out(a, tz) for a in shift.activities],
    }


@router.get("/schedules", response_model=ScheduleView)
async def get_schedules(
    user: CurrentUser,
    svc: Svc,
    business_unit: Unit,
    start: From = None,
    to: To = None,
) -> dict:
    """What is stored for a business unit: the imported weeks overlapping [from, to) and, for
    every member, the shifts that start in [from, to) (default: everything) with their
    activities, in the import shape."""
    _range(start, to)
    stored = await uc.view_schedule(svc, user, business_unit, start, to)
    tz = zone(stored.timezone)
    return {
        "business_unit": stored.business_unit,
        "timezone": stored.timezone,
        "from": start.isoformat() if start else None,
        "to": to.isoformat() if to else None,
        "weeks": [
            {
                "week_start": w.week_start.isoformat(),
                "starts_at": w.starts_at.astimezone(tz).isoformat(),
                "ends_at": w.ends_at.astimezone(tz).isoformat(),
                "imported_at": w.imported_at.isoformat(),
                "imported_by": w.imported_by,
            }
            for w in stored.weeks
        ],
        "agents": [
            {"agent_id": agent, "shifts": [_shift_out(s, tz) for s in shifts]}
            for agent, shifts in stored.agents.items()
        ],
    }


@router.get("/staffing", response_model=StaffingView)
async def get_staffing(
    user: CurrentUser,
    svc: Svc,
    business_unit: Unit,
    start: From = None,
    to: To = None,
) -> dict:
    """The stored intervals of a business unit starting in [from, to) (default: all)."""
    _range(start, to)
    stored = await uc.view_staffing(svc, user, business_unit, start, to)
    tz = zone(stored.timezone)
    return {
        "business_unit": business_unit,
        "timezone": stored.timezone,
        "from": start.isoformat() if start else None,
        "to": to.isoformat() if to else None,
        "service_level": stored.service_level.model_dump() if stored.service_level else None,
        "intervals": [
            {
                "starts_at": row.starts_at.astimezone(tz).isoformat(),
                "forecast": row.forecast,
                "scheduled": row.scheduled,
                "contacts": row.contacts,
                "aht_seconds": row.aht_seconds,
            }
            for row in stored.intervals
        ],
    }
