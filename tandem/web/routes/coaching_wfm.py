"""WFM import page (SPEC W1, W7): upload a schedule CSV, see what it replaced, which agents'
availability changed, and which coaching appointments became ``invalid_schedule`` (or fit
again). The import and the re-check are tandem.usecases.wfm's, as for the API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from tandem.domain.errors import DomainError, invalid
from tandem.domain.times import human
from tandem.domain.wfm import MAX_CSV_BYTES
from tandem.store import users
from tandem.usecases import wfm
from tandem.usecases.wfm import ScheduleImportResult
from tandem.web.render import form_error, page, services
from tandem.web.session import WebUser

router = APIRouter()

PAGE = "coaching/wfm.html"


@router.get("/coaching/wfm")
async def wfm_form(request: Request, user: WebUser) -> HTMLResponse:
    wfm.check_import(user)  # without wfm.schedule.import: the 403 page, not a useless form
    return await page(request, PAGE, user, result=None)


async def _summary(request: Request, result: ScheduleImportResult, tz: str) -> dict[str, Any]:
    imported = result.imported
    ids = {*imported.changed_agent_ids, *imported.joined_agent_ids}
    ids |= {p for c in result.appointments for p in (c.facilitator_id, *c.participant_ids)}
    people = await services(request).db.read(lambda session: users.get_users(session, ids))

    def names(person_ids: list[str]) -> list[str]:
        return [people[p].name if p in people else p for p in person_ids]

    return {
        "imported": imported,
        "weeks": [f"{w:%a %d %b %Y}" for w in imported.week_starts],
        "changed": names(imported.changed_agent_ids),
        "joined": names(imported.joined_agent_ids),
        "appointments": [
            {
                "id": c.meeting_id,
                "name": c.name,
                "when": human(c.starts_at, tz),
                "status": c.status.value,
                "with": ", ".join(names(c.participant_ids)),
                "facilitator": names([c.facilitator_id])[0],
                "problems": c.problems,
                "rebooked": human(c.rebooked_to, tz) if c.rebooked_to else None,
            }
            for c in result.appointments
        ],
    }


@router.post("/coaching/wfm")
async def upload(request: Request, user: WebUser) -> Response:
    wfm.check_import(user)
    form = await request.form()
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise invalid("file", "choose a CSV file to upload")
        raw = await upload.read(MAX_CSV_BYTES + 1)
        result = await wfm.import_schedule_csv(services(request), user, raw)
    except (DomainError, ValidationError) as error:
        # The CSV's errors name a line and column; they all belong next to the file field.
        return await form_error(request, PAGE, user, _about_file(error), form={}, result=None)
    summary = await _summary(request, result, user.timezone)
    return await page(request, PAGE, user, result=summary)


def _about_file(error: DomainError | ValidationError) -> DomainError | ValidationError:
    if isinstance(error, DomainError) and error.details.get("field") != "file":
        return type(error)(error.message, **{**error.details, "field": "file"})
    return error
