"""Ops pages (SPEC O1): find a meeting, read its history timeline."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tandem.store import users
from tandem.usecases import meetings, ops
from tandem.usecases.history import meeting_history
from tandem.web.render import page, services
from tandem.web.session import WebUser

router = APIRouter()


@router.get("/ops")
async def find(request: Request, user: WebUser, q: str = "", person: str = "") -> HTMLResponse:
    svc = services(request)
    everyone = await svc.db.read(users.all_users)
    found = await ops.find_meetings(svc, user, text=q, person_id=person or None)
    return await page(
        request,
        "ops/find.html",
        user,
        found=found,
        searched=bool(q or person),
        form={"q": q, "person": person},
        people=sorted(everyone, key=lambda u: u.name),
        names={u.id: u.name for u in everyone},
    )


@router.get("/ops/meetings/{meeting_id}")
async def history(meeting_id: str, request: Request, user: WebUser) -> HTMLResponse:
    svc = services(request)
    visible = await meetings.view_meeting(svc, user, meeting_id)
    timeline = await meeting_history(svc, user, meeting_id)
    ids = [visible.meeting.facilitator_id, *visible.meeting.participant_ids]
    people = await svc.db.read(lambda session: users.get_users(session, ids))
    return await page(
        request,
        "ops/history.html",
        user,
        visible=visible,
        m=visible.meeting,
        events=timeline.entries,
        timeline=timeline,
        names={uid: u.name for uid, u in people.items()},
    )
