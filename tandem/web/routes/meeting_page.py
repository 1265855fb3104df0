"""The meeting page (SPEC M1-M12, O1): details and focus data as the viewer's view allows (M5),
and the lifecycle forms: edit, reschedule with a reason (coaching: a time from the slot finder),
cancel with a reason, invite a guest, reassign (M10), complete.

Start, delete and archive are the My 1:1s list's routes (tandem.web.routes.my_meetings); this
page posts to them too. Agenda, action items, notes and attachments: meeting_content.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tandem.domain.errors import DomainError, NotFound, invalid
from tandem.domain.users import User
from tandem.usecases import lifecycle, meetings, reassign
from tandem.usecases.schemas import (
    GuestBody,
    MeetingPatch,
    ReasonBody,
    ReassignBody,
    RescheduleBody,
)
from tandem.web.forms import from_form, local_datetime, optional_text, text
from tandem.web.render import page, services
from tandem.web.routes import meeting_content
from tandem.web.routes.meeting_view import PAGE, back_to, failed, meeting_context
from tandem.web.session import WebUser

router = APIRouter(tags=["web: meeting"])
# One router for the whole page, so tandem.web lists it once.
router.include_router(meeting_content.router)


@router.get("/meetings/{meeting_id}", include_in_schema=False)
async def meeting_page(
    meeting_id: str,
    request: Request,
    user: WebUser,
    week: Annotated[date | None, Query()] = None,
) -> HTMLResponse:
    return await page(
        request, PAGE, user, **await meeting_context(request, user, meeting_id, week=week)
    )


def _focus(raw: str) -> list[dict[str, str]]:
    """Focus data typed one per line as ``evaluation: <url or id>`` or ``interaction: …``."""
    refs = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        kind, sep, ref = line.partition(":")
        kind = kind.strip().lower()
        # A bare URL ("https://…") splits at its scheme; it is not a kind.
        if not sep or kind not in ("evaluation", "interaction") or not ref.strip():
            raise invalid(
                "focus",
                f"line {number}: start with 'evaluation:' or 'interaction:', then the URL or id",
            )
        refs.append({"kind": kind, "ref": ref.strip()})
    return refs


@router.post("/meetings/{meeting_id}/edit", include_in_schema=False)
async def edit(meeting_id: str, request: Request, user: WebUser) -> Response:
    form = await request.form()
    try:
        body = from_form(
            MeetingPatch,
            {
                "name": text(form, "name"),
                "description": str(form.get("description") or ""),
                "location": text(form, "location"),
                "participant_preview": form.get("participant_preview") == "on",
                "focus": _focus(str(form.get("focus") or "")),
            },
        )
        await meetings.edit_meeting(services(request), user, meeting_id, body)
    except (DomainError, ValidationError) as error:
        return await failed(request, user, meeting_id, error, form=form, which="edit")
    return back_to(meeting_id, done="edited")


@router.post("/meetings/{meeting_id}/complete", include_in_schema=False)
async def complete(meeting_id: str, request: Request, user: WebUser) -> Response:
    try:
        await lifecycle.complete_meeting(services(request), user, meeting_id)
    except DomainError as error:
        return await failed(request, user, meeting_id, error, form={}, which="status")
    return back_to(meeting_id, done="completed")


@router.post("/meetings/{meeting_id}/reschedule", include_in_schema=False)
async def reschedule(meeting_id: str, request: Request, user: WebUser) -> Response:
    """A 1:1 sends a ``datetime-local`` (the viewer's wall clock); a coaching appointment the
    chosen slot finder time, an ISO instant. Either way the field is ``starts_at``."""
    form = await request.form()
    try:
        body = from_form(
            RescheduleBody,
            {
                "starts_at": local_datetime(text(form, "starts_at"), user.timezone),
                "duration_minutes": optional_text(form, "duration_minutes"),
                "reason": text(form, "reason"),
            },
        )
        await lifecycle.reschedule_meeting(services(request), user, meeting_id, body)
    except (DomainError, ValidationError) as error:
        return await failed(request, user, meeting_id, error, form=form, which="reschedule")
    return back_to(meeting_id, done="rescheduled")


@router.post("/meetings/{meeting_id}/cancel", include_in_schema=False)
async def cancel(meeting_id: str, request: Request, user: WebUser) -> Response:
    form = await request.form()
    try:
        body = from_form(ReasonBody, {"reason": text(form, "reason")})
        await lifecycle.cancel_meeting(services(request), user, meeting_id, body)
    except (DomainError, ValidationError) as error:
        return await failed(request, user, meeting_id, error, form=form, which="cancel")
    return back_to(meeting_id, done="cancelled")


@router.post("/meetings/{meeting_id}/guests", include_in_schema=False)
async def invite_guest(meeting_id: str, request: Request, user: WebUser) -> Response:
    form = await request.form()
    try:
        body = from_form(
            GuestBody, {"email": text(form, "email"), "replaces": optional_text(form, "replaces")}
        )
        await lifecycle.invite_guest(services(request), user, meeting_id, body)
    except (DomainError, ValidationError) as error:
        return await failed(request, user, meeting_id, error, form=form, which="guest")
    return back_to(meeting_id, done="guest")


async def _still_visible(request: Request, user: User, meeting_id: str) -> bool:
    try:
        await meetings.view_meeting(services(request), user, meeting_id)
    except NotFound:
        return False
    return True


@router.post("/meetings/{meeting_id}/reassign", include_in_schema=False)
async def reassign_to(meeting_id: str, request: Request, user: WebUser) -> Response:
    form = await request.form()
    try:
        body = from_form(
            ReassignBody,
            {
                "facilitator_id": text(form, "facilitator_id"),
                "reason": optional_text(form, "reason"),
            },
        )
        await reassign.reassign_meeting(services(request), user, meeting_id, body)
    except (DomainError, ValidationError) as error:
        return await failed(request, user, meeting_id, error, form=form, which="reassign")
    # A4: the old facilitator no longer sees the meeting they handed over.
    if not await _still_visible(request, user, meeting_id):
        return RedirectResponse("/meetings", status_code=303)
    return back_to(meeting_id, done="reassigned")
