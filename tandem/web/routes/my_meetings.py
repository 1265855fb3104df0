"""My 1:1s (SPEC A6): the *I'm the facilitator* / *I'm the participant* / *Archived* tabs, each
row with the actions its status allows, and scheduling a 1:1."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tandem.domain.errors import DomainError
from tandem.domain.meetings import MeetingKind
from tandem.domain.permissions import Permission
from tandem.domain.users import User
from tandem.store import users
from tandem.usecases import lifecycle, meetings
from tandem.usecases.actions import allowed_actions
from tandem.usecases.schemas import MeetingCreate
from tandem.web.forms import from_form, local_datetime, optional_text
from tandem.web.render import form_error, page, services
from tandem.web.session import WebUser

router = APIRouter()

Tab = Literal["facilitator", "participant", "archived"]
PAGE_SIZE = 25


def _tabs(user: User) -> list[tuple[Tab, str]]:
    tabs: list[tuple[Tab, str]] = [("participant", "I'm the participant"), ("archived", "Archived")]
    if meetings.facilitates(user):
        tabs.insert(0, ("facilitator", "I'm the facilitator"))
    return tabs


async def _listing(
    request: Request, user: User, tab: Tab | None, cursor: str | None
) -> dict[str, Any]:
    """What the list page shows: the tab's rows with their actions, and the scheduling form."""
    svc = services(request)
    tab = tab or meetings.default_role(user)
    found = await meetings.list_meetings(
        svc,
        user,
        role=None if tab == "archived" else tab,
        archived=tab == "archived",
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    ids = {p for i in found.items for p in (i.meeting.facilitator_id, *i.meeting.participant_ids)}
    people = await svc.db.read(lambda session: users.get_users(session, ids))
    moment = datetime.now(UTC)
    rows = [
        (item, allowed_actions(user, item.meeting, people, item.archived, moment))
        for item in found.items
    ]
    may_schedule = user.is_admin or user.can(Permission.FACILITATE)
    partners = []
    if may_schedule:
        everyone = await svc.db.read(users.all_users)
        partners = sorted((u for u in everyone if u.id != user.id), key=lambda u: u.name)
    return {
        "tab": tab,
        "tabs": _tabs(user),
        "rows": rows,
        "people": people,
        "next_cursor": found.next_cursor,
        "may_schedule": may_schedule,
        "partners": partners,
    }


@router.get("/meetings")
async def my_meetings(
    request: Request, user: WebUser, tab: Tab | None = None, cursor: str | None = None
) -> HTMLResponse:
    return await page(
        request, "meetings/list.html", user, **await _listing(request, user, tab, cursor)
    )


@router.post("/meetings")
async def schedule_one_to_one(request: Request, user: WebUser) -> Response:
    form = await request.form()
    svc = services(request)
    try:
        body = from_form(
            MeetingCreate,
            {
                "kind": MeetingKind.ONE_TO_ONE,
                "name": form.get("name", ""),
                "participant_ids": [form.get("participant_id", "")],
                "starts_at": local_datetime(str(form.get("starts_at", "")), user.timezone),
                "duration_minutes": form.get("duration_minutes") or None,
                "location": form.get("location", ""),
                "description": form.get("description", ""),
                "participant_preview": form.get("participant_preview") == "on",
            },
        )
        reply = await meetings.create_meeting(svc, user, body)
    except (DomainError, ValidationError) as error:
        listing = await _listing(request, user, "facilitator", None)
        return await form_error(request, "meetings/list.html", user, error, form=form, **listing)
    return RedirectResponse(f"/meetings/{reply.body['id']}", status_code=303)


@router.post("/meetings/{meeting_id}/start")
async def start(meeting_id: str, request: Request, user: WebUser) -> Response:
    await lifecycle.start_meeting(services(request), user, meeting_id)
    return RedirectResponse(f"/meetings/{meeting_id}", status_code=303)


@router.post("/meetings/{meeting_id}/delete")
async def delete(meeting_id: str, request: Request, user: WebUser) -> Response:
    form = await request.form()
    reason = optional_text(form, "reason")
    await lifecycle.delete_meeting(services(request), user, meeting_id, reason)
    return RedirectResponse("/meetings", status_code=303)


@router.post("/meetings/{meeting_id}/archive")
async def archive(meeting_id: str, request: Request, user: WebUser) -> Response:
    await meetings.set_archived(services(request), user, meeting_id, True)
    return RedirectResponse("/meetings", status_code=303)


@router.post("/meetings/{meeting_id}/unarchive")
async def unarchive(meeting_id: str, request: Request, user: WebUser) -> Response:
    await meetings.set_archived(services(request), user, meeting_id, False)
    return RedirectResponse("/meetings?tab=archived", status_code=303)
