"""Connected calendars in the browser (SPEC K1-K4): connect a CalDAV or ICS calendar, see why
it cannot be read, pick the 1:1s to bring in, follow it again now, remove it. Every action is
the API's use case (tandem.usecases.calendars), so the same rules and errors apply."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tandem.domain.errors import DomainError
from tandem.usecases import calendars
from tandem.usecases.calendars import CalendarConnect, CalendarImport
from tandem.web.forms import from_form
from tandem.web.render import form_error, page, services
from tandem.web.session import WebUser

router = APIRouter(tags=["web: calendars"])


@router.get("/calendars", include_in_schema=False)
async def calendars_page(request: Request, user: WebUser) -> HTMLResponse:
    found = await calendars.list_calendars(services(request), user)
    return await page(request, "calendars/list.html", user, connections=found, form={"kind": "ics"})


@router.post("/calendars", include_in_schema=False)
async def connect(
    request: Request,
    user: WebUser,
    kind: Annotated[str, Form(max_length=10)] = "",
    url: Annotated[str, Form(max_length=2000)] = "",
    username: Annotated[str, Form(max_length=500)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    form = {"kind": kind, "url": url, "username": username, "name": name}
    svc = services(request)
    try:
        given = {k: v for k, v in {**form, "password": password}.items() if v}
        body = from_form(CalendarConnect, given)
        made = await calendars.connect(svc, user, body)
    except (DomainError, ValidationError) as error:
        found = await calendars.list_calendars(svc, user)
        return await form_error(
            request, "calendars/list.html", user, error, form=form, connections=found
        )
    return RedirectResponse(f"/calendars/{made.id}", status_code=303)


@router.get("/calendars/{calendar_id}", include_in_schema=False)
async def calendar_page(
    request: Request, user: WebUser, calendar_id: str, imported: int = 0
) -> HTMLResponse:
    svc = services(request)
    await calendars.get_calendar(svc, user, calendar_id)  # someone else's: the 404 page
    try:
        found, problem = await calendars.candidates(svc, user, calendar_id), None
    except DomainError as error:  # the calendar cannot be read now: the page says why
        found, problem = None, error.message
    connection = await calendars.get_calendar(svc, user, calendar_id)  # as that read left it
    return await page(
        request,
        "calendars/calendar.html",
        user,
        connection=connection,
        found=found,
        problem=problem,
        imported=imported,
    )


@router.post("/calendars/{calendar_id}/import", include_in_schema=False)
async def import_events(request: Request, user: WebUser, calendar_id: str) -> Response:
    chosen = (await request.form()).getlist("candidate_ids")
    svc = services(request)
    try:
        done = await calendars.import_events(
            svc, user, calendar_id, from_form(CalendarImport, {"candidate_ids": chosen})
        )
    except (DomainError, ValidationError) as error:
        connection = await calendars.get_calendar(svc, user, calendar_id)
        found = await calendars.candidates(svc, user, calendar_id)
        return await form_error(
            request,
            "calendars/calendar.html",
            user,
            error,
            form={"candidate_ids": chosen},
            connection=connection,
            found=found,
            problem=None,
            imported=0,
        )
    return RedirectResponse(f"/calendars/{calendar_id}?imported={len(done)}", status_code=303)


@router.post("/calendars/{calendar_id}/sync", include_in_schema=False)
async def sync_now(request: Request, user: WebUser, calendar_id: str) -> Response:
    await calendars.sync_now(services(request), user, calendar_id)
    return RedirectResponse(f"/calendars/{calendar_id}", status_code=303)


@router.post("/calendars/{calendar_id}/delete", include_in_schema=False)
async def remove(request: Request, user: WebUser, calendar_id: str) -> Response:
    await calendars.delete_calendar(services(request), user, calendar_id)
    return RedirectResponse("/calendars", status_code=303)
