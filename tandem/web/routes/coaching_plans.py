"""Team planning (SPEC W6): agents, a facilitator pool, a window and limits; the previewed plan
as a table and a per-facilitator week, with the agents that could not be placed and why; then
commit as a whole and follow the booking's progress.

The preview is stored by the use case, so the form posts, then redirects to the plan's own page
(a reload never solves again). Only its author can open a plan (the use case's 404 otherwise).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from tandem.domain.errors import DomainError
from tandem.domain.plans import CommitMode, PlanState
from tandem.domain.times import human, local, zone
from tandem.domain.users import User
from tandem.store import users
from tandem.usecases import coaching
from tandem.usecases.coaching import CommitBody, Plan, PlanBody
from tandem.web.forms import from_form
from tandem.web.render import form_error, page, services
from tandem.web.routes.coaching import DEFAULT_NAME, DURATIONS
from tandem.web.session import WebUser
from tandem.web.timeline import Stretch, axis, days_of, legend, timeline

router = APIRouter()

FORM = "coaching/plans.html"
PLAN = "coaching/plan.html"


def form_values(values: FormData | None, tz: str) -> dict[str, Any]:
    today = datetime.now(UTC).astimezone(zone(tz)).date()
    monday = today - timedelta(days=today.weekday())
    if values is None:
        return {
            "attendee_ids": [],
            "facilitator_ids": [],
            "window_from": today.isoformat(),
            "window_to": (monday + timedelta(days=6)).isoformat(),
            "duration_minutes": "30",
            "transition_minutes": "0",
            "max_per_facilitator_per_day": "",
            "name": DEFAULT_NAME,
        }
    return {
        "attendee_ids": [a for a in values.getlist("attendee_ids") if a],
        "facilitator_ids": [f for f in values.getlist("facilitator_ids") if f],
        **{
            key: str(values.get(key) or "")
            for key in (
                "window_from",
                "window_to",
                "duration_minutes",
                "transition_minutes",
                "max_per_facilitator_per_day",
                "name",
            )
        },
    }


def day_start(text: str, tz: str, *, after: bool = False) -> datetime | None:
    """00:00 of a date in the viewer's zone; ``after``: of the next day (the last day counts)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=after), time(), tzinfo=zone(tz))


def _body(form: dict[str, Any], tz: str) -> PlanBody:
    return from_form(
        PlanBody,
        {
            "attendee_ids": form["attendee_ids"],
            "facilitator_ids": form["facilitator_ids"],
            "window_start": day_start(form["window_from"], tz),
            "window_end": day_start(form["window_to"], tz, after=True),
            "duration_minutes": form["duration_minutes"] or 30,
            "transition_minutes": form["transition_minutes"] or 0,
            "max_per_facilitator_per_day": form["max_per_facilitator_per_day"] or None,
            "name": form["name"],
        },
    )


async def _choices(request: Request, user: User) -> dict[str, Any]:
    svc = services(request)
    return {
        "agents": await coaching.coachable_agents(svc, user),
        "facilitators": await coaching.facilitator_choices(svc, user, []),
        "durations": DURATIONS,
    }


@router.get("/coaching/plans")
async def plan_form(request: Request, user: WebUser) -> HTMLResponse:
    form = form_values(None, user.timezone)
    form["facilitator_ids"] = [user.id]
    return await page(request, FORM, user, form=form, **await _choices(request, user))


@router.post("/coaching/plans")
async def preview(request: Request, user: WebUser) -> Response:
    form = form_values(await request.form(), user.timezone)
    try:
        plan = await coaching.preview_plan(services(request), user, _body(form, user.timezone))
    except (DomainError, ValidationError) as error:
        return await form_error(
            request, FORM, user, error, form=form, **await _choices(request, user)
        )
    return RedirectResponse(f"/coaching/plans/{plan.id}", status_code=303)


def _view(plan: Plan, people: dict[str, User], tz: str) -> dict[str, Any]:
    """The plan's rows, per-facilitator week and unplaced agents, in the viewer's zone."""

    def name(person_id: str) -> str:
        return people[person_id].name if person_id in people else "someone"

    assignments = sorted(plan.result["assignments"], key=lambda a: a["starts_at"])
    rows = []
    sessions: dict[str, list[Stretch]] = {}
    for a in assignments:
        start, end = datetime.fromisoformat(a["starts_at"]), datetime.fromisoformat(a["ends_at"])
        rows.append(
            {
                "agent": name(a["agent_id"]),
                "facilitator": name(a["facilitator_id"]),
                "starts_at": start,
                "when": human(start, tz),
                "until": f"{local(end, tz):%H:%M}",
                "cost": a["cost"],
            }
        )
        sessions.setdefault(a["facilitator_id"], []).append(
            Stretch(start, end, "session", name(a["agent_id"]))
        )
    stretches = [s for found in sessions.values() for s in found]
    scale = axis(stretches, tz)
    days = (
        days_of(min(s.start for s in stretches), max(s.end for s in stretches), tz)
        if stretches
        else []
    )
    timelines = [timeline(name(f), found, days, tz, scale) for f, found in sessions.items()]
    unplaced = [
        {"agent": name(u["agent_id"]), "reason": u["reason"], "message": u["message"]}
        for u in plan.result["unplaced"]
    ]
    progress = plan.commit
    return {
        "plan": plan,
        "rows": rows,
        "unplaced": unplaced,
        "timelines": timelines,
        "scale": scale,
        "legend": legend(timelines),
        "committing": plan.state is PlanState.COMMITTING,
        "may_commit": plan.state is PlanState.PREVIEWED and bool(rows),
        "booked": len(progress.booked) if progress else 0,
        "clashes": [
            {"agent": name(c.agent_id), "reason": c.reason or "clash"}
            for c in (progress.clashes if progress else [])
        ],
        "modes": [
            (CommitMode.BOOK_REST.value, "Book the rest if some sessions clash"),
            (CommitMode.ABORT.value, "All or nothing"),
        ],
    }


async def _plan_context(request: Request, user: User, plan_id: str) -> dict[str, Any]:
    svc = services(request)
    plan = await coaching.get_plan(svc, user, plan_id)  # someone else's plan: NotFound, the 404
    ids = {p for a in plan.result["assignments"] for p in (a["agent_id"], a["facilitator_id"])}
    ids |= {u["agent_id"] for u in plan.result["unplaced"]}
    if plan.commit:
        ids |= {c.agent_id for c in plan.commit.clashes}
    people = await svc.db.read(lambda session: users.get_users(session, ids))
    return _view(plan, people, user.timezone)


@router.get("/coaching/plans/{plan_id}")
async def show_plan(plan_id: str, request: Request, user: WebUser) -> HTMLResponse:
    return await page(request, PLAN, user, **await _plan_context(request, user, plan_id))


@router.post("/coaching/plans/{plan_id}/commit")
async def commit(plan_id: str, request: Request, user: WebUser) -> Response:
    form = await request.form()
    try:
        body = from_form(CommitBody, {"mode": form.get("mode") or CommitMode.BOOK_REST})
        await coaching.commit_plan(services(request), user, plan_id, body)
    except (DomainError, ValidationError) as error:
        # E.g. committed already (409): the plan as it is now, with the reason on top.
        context = await _plan_context(request, user, plan_id)
        return await form_error(request, PLAN, user, error, form=form, **context)
    return RedirectResponse(f"/coaching/plans/{plan_id}", status_code=303)
