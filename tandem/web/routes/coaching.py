"""The coaching slot finder (SPEC W2-W5, A5): pick agents, facilitator, week and duration;
*Check* ranks the slots (good / neutral / poor, with reasons) and draws everyone's week so a
person sees why a time is missing; *Book* creates the appointment.

Check is an htmx request answered with the results fragment only (the budget is 300 ms from
click to slots drawn); without JavaScript the same POST answers the whole page. Every rule is
the use cases': A5 (an agent outside the viewer's divisions, also in a URL) is their 403.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, QueryParams

from tandem.domain.errors import DomainError
from tandem.domain.meetings import MeetingKind
from tandem.domain.times import human, local, zone
from tandem.domain.users import User
from tandem.solver import Slot, SlotResult, from_minutes
from tandem.store import users
from tandem.usecases import coaching, meetings
from tandem.usecases.coaching import SlotQueryBody
from tandem.usecases.schemas import MeetingCreate
from tandem.web.forms import from_form
from tandem.web.render import form_error, page, services
from tandem.web.session import WebUser
from tandem.web.timeline import Stretch, axis, days_of, legend, timeline

router = APIRouter()

DURATIONS = (15, 30, 45, 60)
DEFAULT_NAME = "Coaching session"
FINDER = "coaching/finder.html"
RESULTS = "coaching/_results.html"


def _form(values: FormData | QueryParams, tz: str) -> dict[str, Any]:
    """What the person picked, as the templates refill it. ``agent`` is accepted for
    ``attendee_ids`` so links like ``/coaching?agent=<id>`` work."""
    agents = [*values.getlist("attendee_ids"), *values.getlist("agent")]
    today = datetime.now(UTC).astimezone(zone(tz)).date()
    return {
        "attendee_ids": list(dict.fromkeys(a for a in agents if a)),
        "facilitator_id": str(values.get("facilitator_id") or ""),
        "week": str(values.get("week") or today.isoformat()),
        "duration_minutes": str(values.get("duration_minutes") or "30"),
        "name": str(values.get("name") or DEFAULT_NAME),
    }


def week_window(week: str, tz: str) -> tuple[datetime | None, datetime | None]:
    """Monday 00:00 to the next Monday 00:00 in the viewer's zone, for any day of that week.
    The solver clips it to now .. now + 6 weeks (W3)."""
    try:
        day = date.fromisoformat(week)
    except ValueError:
        return None, None
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(), tzinfo=zone(tz))
    return start, datetime.combine(monday + timedelta(days=7), time(), tzinfo=zone(tz))


def _query(form: dict[str, Any], tz: str) -> SlotQueryBody:
    start, end = week_window(form["week"], tz)
    return from_form(
        SlotQueryBody,
        {
            "attendee_ids": form["attendee_ids"],
            "facilitator_id": form["facilitator_id"] or None,
            "window_start": start,
            "window_end": end,
            "duration_minutes": form["duration_minutes"],
        },
    )


@dataclass(frozen=True)
class SlotRow:
    starts_at: datetime
    ends_at: datetime
    when: str
    until: str
    rating: str
    score: float
    reasons: list[str]
    idempotency_key: str


def _local_reasons(slot: Slot, tz: str) -> list[str]:
    """The solver words its reasons in UTC (it knows no zones); the viewer reads their own."""
    if slot.worst is None:
        return slot.reasons
    at = from_minutes(slot.worst.interval_start)
    utc, mine = f"at {at:%H:%M} UTC", f"at {local(at, tz):%H:%M} {tz}"
    return [reason.replace(utc, mine) for reason in slot.reasons]


def _results(result: SlotResult, people: dict[str, User], tz: str) -> dict[str, Any]:
    """The fragment's context: ranked slots and a week of free/busy per person."""
    slots = [
        SlotRow(
            starts_at=from_minutes(s.start),
            ends_at=from_minutes(s.end),
            when=human(from_minutes(s.start), tz),
            until=f"{local(from_minutes(s.end), tz):%H:%M}",
            rating=s.rating.value,
            score=s.score,
            reasons=_local_reasons(s, tz),
            # One key per offered slot: a double-clicked Book never books twice (M13).
            idempotency_key=str(uuid.uuid4()),
        )
        for s in result.slots
    ]
    start, end = from_minutes(result.window.start), from_minutes(result.window.end)
    stretches = {
        person_id: [
            Stretch(from_minutes(a), from_minutes(b), "free" if status == "free" else str(reason))
            for a, b, status, reason in free_busy.segments()
        ]
        for person_id, free_busy in result.schedules.items()
    }
    scale = axis(
        [
            *(s for found in stretches.values() for s in found),
            *(Stretch(row.starts_at, row.ends_at, "slot") for row in slots),
        ],
        tz,
    )
    days = days_of(start, end, tz) if end > start else []
    timelines = [
        timeline(people[pid].name if pid in people else "someone", found, days, tz, scale)
        for pid, found in stretches.items()
    ]
    return {
        "slots": slots,
        "feasible": result.feasible_count,
        "window_from": human(start, tz),
        "window_to": human(end, tz),
        "timelines": timelines,
        "scale": scale,
        "legend": legend(timelines),
    }


async def _check(request: Request, user: User, form: dict[str, Any]) -> dict[str, Any]:
    """Runs the slot query (A5, W2-W4 are the use case's); raises what it refuses."""
    svc = services(request)
    body = _query(form, user.timezone)
    result = await coaching.query_slots(svc, user, body)
    ids = [*body.attendee_ids, body.facilitator_id or user.id]
    people = await svc.db.read(lambda session: users.get_users(session, ids))
    return {"checked": True, **_results(result, people, user.timezone)}


async def _choices(request: Request, user: User) -> dict[str, Any]:
    svc = services(request)
    return {
        "agents": await coaching.coachable_agents(svc, user),
        "facilitators": await coaching.facilitator_choices(svc, user, []),
        "durations": DURATIONS,
    }


def _push_url(form: dict[str, Any]) -> str:
    """The GET address of this check, so a reload or a shared link shows the same slots."""
    query = [("agent", a) for a in form["attendee_ids"]]
    query += [(k, form[k]) for k in ("facilitator_id", "week", "duration_minutes") if form[k]]
    return f"/coaching?{urlencode(query)}"


@router.get("/coaching")
async def finder(request: Request, user: WebUser) -> HTMLResponse:
    """The form; with agents in the address (a shared link, a reload) the checked slots too."""
    form = _form(request.query_params, user.timezone)
    checked: dict[str, Any] = {"checked": False}
    if form["attendee_ids"]:
        try:
            checked = await _check(request, user, form)
        except (DomainError, ValidationError) as error:
            # NotAllowed (A5) and NotFound are raised again: the 403 / 404 page.
            return await form_error(
                request, FINDER, user, error, form=form, **await _choices(request, user)
            )
    return await page(request, FINDER, user, form=form, **checked, **await _choices(request, user))


@router.post("/coaching/check")
async def check(request: Request, user: WebUser) -> Response:
    form = _form(await request.form(), user.timezone)
    htmx = request.headers.get("HX-Request") == "true"
    try:
        checked = await _check(request, user, form)
    except (DomainError, ValidationError) as error:
        # The form again, messages by the fields and what was picked kept; under htmx it
        # replaces the whole finder (the results alone cannot show a message by a field).
        response = await form_error(
            request,
            "coaching/_finder.html" if htmx else FINDER,
            user,
            error,
            form=form,
            checked=False,
            **await _choices(request, user),
        )
        if htmx:
            response.headers["HX-Retarget"] = "#finder"
            response.headers["HX-Reswap"] = "outerHTML"
        return response
    if not htmx:
        return await page(
            request, FINDER, user, form=form, **checked, **await _choices(request, user)
        )
    response = await page(request, RESULTS, user, form=form, **checked)
    response.headers["HX-Push-Url"] = _push_url(form)
    return response


@router.post("/coaching/book")
async def book(request: Request, user: WebUser) -> Response:
    """Creates the coaching appointment at the chosen slot; booking re-checks W3 atomically, so
    a slot taken meanwhile is a readable 409 (W5) above freshly checked slots."""
    raw = await request.form()
    form = _form(raw, user.timezone)
    svc = services(request)
    try:
        body = from_form(
            MeetingCreate,
            {
                "kind": MeetingKind.COACHING,
                "name": form["name"],
                "participant_ids": form["attendee_ids"],
                "facilitator_id": form["facilitator_id"] or None,
                "starts_at": raw.get("starts_at"),
                "duration_minutes": form["duration_minutes"],
            },
        )
        key = str(raw.get("idempotency_key") or "") or None
        reply = await meetings.create_meeting(svc, user, body, idempotency_key=key)
    except (DomainError, ValidationError) as error:
        try:
            checked = await _check(request, user, form)
        except (DomainError, ValidationError):
            checked = {"checked": False}
        return await form_error(
            request, FINDER, user, error, form=form, **checked, **await _choices(request, user)
        )
    if reply.status >= 400:
        # A retried key whose first attempt was refused: that refusal, readably.
        message = reply.body.get("error", {}).get("message", "the booking was refused")
        return await page(
            request,
            FINDER,
            user,
            status_code=reply.status,
            form=form,
            errors={"form": message},
            checked=False,
            **await _choices(request, user),
        )
    return RedirectResponse(f"/meetings/{reply.body['id']}", status_code=303)
