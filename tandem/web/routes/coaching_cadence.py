"""Coaching cadence (issue 12 item 3, W8): a division's policy, who is overdue, due or fine, and a
team plan for everyone due, previewed on the team plan's own page.

The rules (who may read or set a policy, who is due, whom a plan for ``agents: "due"`` books)
live in tandem.usecases.cadence; this page turns its forms into those calls.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tandem.domain.cadence import DEFAULT_DUE_SOON_DAYS, CadenceStatus
from tandem.domain.errors import DomainError, NotFound
from tandem.domain.users import User
from tandem.usecases import cadence, coaching
from tandem.usecases.cadence import CadencePolicyBody
from tandem.usecases.coaching import PlanBody
from tandem.web.forms import from_form
from tandem.web.render import form_error, page, services
from tandem.web.routes.coaching import DURATIONS
from tandem.web.routes.coaching_plans import day_start, form_values
from tandem.web.session import WebUser

router = APIRouter()

CADENCE = "coaching/cadence.html"
POLICY_FIELDS = ("every_weeks", "duration_minutes", "due_soon_days")


async def _context(request: Request, user: User, division: str) -> dict[str, Any]:
    """The division's policy and list (none before a policy is set) and the plan form's
    choices. A division that is not the viewer's raises NotFound: the 404 page."""
    svc = services(request)
    found = None
    if division:
        try:
            found = await cadence.cadence(svc, user, division)
        except NotFound as error:
            if error.details.get("field") == "division":
                raise
    entries = found.entries if found else []
    return {
        "division": division,
        "divisions": sorted(user.divisions),
        "policy": found.policy if found else None,
        "entries": entries,
        "waiting": sum(e.standing.status is not CadenceStatus.OK for e in entries),
        "facilitators": await coaching.facilitator_choices(svc, user, []) if found else [],
        "durations": DURATIONS,
    }


def _form(user: User, typed: dict[str, str] | None = None) -> dict[str, Any]:
    """The plan form's defaults (this week, the viewer facilitating) under what was typed."""
    form = form_values(None, user.timezone)
    form["facilitator_ids"] = [user.id]
    return {**form, **(typed or {})}


def _division(request: Request, user: User, chosen: Any = None) -> str:
    chosen = chosen or request.query_params.get("division")
    return str(chosen or (min(user.divisions) if user.divisions else ""))


@router.get("/coaching/cadence")
async def show(request: Request, user: WebUser) -> HTMLResponse:
    context = await _context(request, user, _division(request, user))
    return await page(request, CADENCE, user, form=_form(user), **context)


@router.post("/coaching/cadence/policy")
async def set_policy(request: Request, user: WebUser) -> Response:
    values = await request.form()
    division = _division(request, user, values.get("division"))
    typed = {key: str(values.get(key) or "") for key in POLICY_FIELDS}
    soon = typed["due_soon_days"] or DEFAULT_DUE_SOON_DAYS
    try:
        body = from_form(CadencePolicyBody, {**typed, "due_soon_days": soon})
        await cadence.set_policy(services(request), user, division, body)
    except (DomainError, ValidationError) as error:
        context = await _context(request, user, division)
        return await form_error(request, CADENCE, user, error, form=_form(user, typed), **context)
    return RedirectResponse(f"/coaching/cadence?division={division}", status_code=303)


@router.post("/coaching/cadence/plan")
async def plan_due(request: Request, user: WebUser) -> Response:
    """A team plan for everyone due by the end of the window, in the policy's session length."""
    values = await request.form()
    division = _division(request, user, values.get("division"))
    form = form_values(values, user.timezone)
    try:
        body = from_form(
            PlanBody,
            {
                "agents": "due",
                "division": division,
                "facilitator_ids": form["facilitator_ids"],
                "window_start": day_start(form["window_from"], user.timezone),
                "window_end": day_start(form["window_to"], user.timezone, after=True),
                "transition_minutes": form["transition_minutes"] or 0,
                "max_per_facilitator_per_day": form["max_per_facilitator_per_day"] or None,
                "name": form["name"],
            },
        )
        plan = await coaching.preview_plan(services(request), user, body)
    except (DomainError, ValidationError) as error:
        context = await _context(request, user, division)
        return await form_error(request, CADENCE, user, error, form=form, **context)
    return RedirectResponse(f"/coaching/plans/{plan.id}", status_code=303)
