"""The page behind a guest link (SPEC M9): time, place and join link, nothing private."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse

from tandem.api.responses import GuestOut, errors
from tandem.api.services import services
from tandem.domain.errors import not_found
from tandem.domain.guest_links import read_guest_token
from tandem.domain.meetings import MeetingStatus
from tandem.domain.times import human
from tandem.store import meetings, users
from tandem.usecases.context import Services

router = APIRouter(tags=["guests"])


@router.get(
    "/guest/{token}",
    response_model=GuestOut,  # documents the JSON answer; browsers get a page
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        **errors(404, 422),
    },
)
async def guest_page(
    token: str, request: Request, svc: Annotated[Services, Depends(services)]
) -> JSONResponse | HTMLResponse:
    claimed = read_guest_token(svc.settings.signing_key(), token)
    if claimed is None:
        raise not_found("guest link")
    meeting_id, email = claimed
    record = await svc.db.read(lambda session: meetings.get_meeting(session, meeting_id))
    facilitator = (
        await svc.db.read(lambda session: users.get_user(session, record.meeting.facilitator_id))
        if record
        else None
    )
    # A replaced (misspelt) address's link stops working, as does a deleted meeting's.
    if (
        record is None
        or record.meeting.status is MeetingStatus.DELETED
        or email not in [g.lower() for g in record.meeting.guest_emails]
    ):
        raise not_found("guest link")
    m = record.meeting
    info = {
        "name": m.name,
        "status": m.status.value,
        "starts_at": m.starts_at.isoformat(),
        "ends_at": m.ends_at.isoformat(),
        "timezone": m.timezone,
        "when": human(m.starts_at, m.timezone),
        "duration_minutes": m.duration_minutes,
        "location": m.location,
        "host": facilitator.name if facilitator else None,
        "guest": email,
    }
    if "text/html" not in request.headers.get("accept", ""):
        return JSONResponse(info)
    rows = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(str(info[key] or ''))}</td></tr>"
        for label, key in (
            ("When", "when"),
            ("Length", "duration_minutes"),
            ("Where / join", "location"),
            ("Host", "host"),
            ("Status", "status"),
        )
    )
    return HTMLResponse(
        f"<!doctype html><title>{escape(m.name)}</title><h1>{escape(m.name)}</h1>"
        f"<table>{rows}</table>"
    )
