"""Series pages (SPEC S1-S4): my recurring 1:1s, create one, its upcoming occurrences, edit from
the next occurrence on, delete one instance, end the series."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tandem.domain.errors import DomainError
from tandem.domain.permissions import Permission
from tandem.domain.users import User
from tandem.store import users
from tandem.usecases import series
from tandem.usecases.series import SeriesCreate, SeriesPatch
from tandem.web.forms import from_form, local_datetime, optional_text
from tandem.web.render import form_error, page, services
from tandem.web.session import WebUser

router = APIRouter()

RECURRENCES = [
    ("weekly", "Every week"),
    ("biweekly", "Every two weeks"),
    ("triweekly", "Every three weeks"),
    ("monthly", "Every month (same weekday)"),
]


async def _list_context(request: Request, user: User) -> dict[str, Any]:
    svc = services(request)
    records = await series.list_series(svc, user)
    everyone = await svc.db.read(users.all_users)
    return {
        "records": records,
        "names": {u.id: u.name for u in everyone},
        "partners": sorted((u for u in everyone if u.id != user.id), key=lambda u: u.name),
        "may_create": user.is_admin or user.can(Permission.FACILITATE),
        "recurrences": RECURRENCES,
    }


@router.get("/series")
async def my_series(request: Request, user: WebUser) -> HTMLResponse:
    return await page(request, "series/list.html", user, **await _list_context(request, user))


def _times(form: Any, user: User) -> dict[str, Any]:
    """The form's time fields as the request models take them (blank fields left out)."""
    zone = str(form.get("timezone") or user.timezone)
    fields = {
        "starts_at": local_datetime(str(form.get("starts_at") or ""), zone),
        "duration_minutes": form.get("duration_minutes") or None,
        "timezone": zone,
        "recurrence": form.get("recurrence") or None,
    }
    return fields


@router.post("/series")
async def create_series(request: Request, user: WebUser) -> Response:
    form = await request.form()
    try:
        body = from_form(
            SeriesCreate,
            {
                "participant_id": form.get("participant_id", ""),
                "name": form.get("name", ""),
                "location": form.get("location", ""),
                **_times(form, user),
            },
        )
        reply = await series.create_series(services(request), user, body)
    except (DomainError, ValidationError) as error:
        context = await _list_context(request, user)
        return await form_error(request, "series/list.html", user, error, form=form, **context)
    return RedirectResponse(f"/series/{reply.body['id']}", status_code=303)


async def _detail_context(request: Request, user: User, series_id: str) -> dict[str, Any]:
    svc = services(request)
    visible = await series.load_series(svc, user, series_id)
    upcoming = await series.occurrences(svc, user, series_id, limit=12)
    s = visible.series
    people = await svc.db.read(
        lambda session: users.get_users(session, [s.facilitator_id, s.participant_id])
    )
    return {
        "visible": visible,
        "s": s,
        "upcoming": upcoming,
        "people": people,
        "may_manage": series.may_manage_series(user, s),
        "recurrences": RECURRENCES,
    }


@router.get("/series/{series_id}")
async def series_page(series_id: str, request: Request, user: WebUser) -> HTMLResponse:
    context = await _detail_context(request, user, series_id)
    return await page(request, "series/detail.html", user, **context)


@router.post("/series/{series_id}/edit")
async def edit_series(series_id: str, request: Request, user: WebUser) -> Response:
    form = await request.form()
    try:
        changes = {k: v for k, v in _times(form, user).items() if v is not None}
        for field in ("name", "location"):
            if form.get(field):
                changes[field] = form.get(field)
        await series.edit_series(
            services(request), user, series_id, from_form(SeriesPatch, changes)
        )
    except (DomainError, ValidationError) as error:
        context = await _detail_context(request, user, series_id)
        return await form_error(request, "series/detail.html", user, error, form=form, **context)
    return RedirectResponse(f"/series/{series_id}", status_code=303)


@router.post("/series/{series_id}/end")
async def end_series(series_id: str, request: Request, user: WebUser) -> Response:
    form = await request.form()
    reason = optional_text(form, "reason")
    await series.end_series(services(request), user, series_id, reason)
    return RedirectResponse(f"/series/{series_id}", status_code=303)


@router.post("/series/{series_id}/occurrences/{meeting_id}/delete")
async def delete_occurrence(
    series_id: str, meeting_id: str, request: Request, user: WebUser
) -> Response:
    await series.delete_occurrence(services(request), user, series_id, meeting_id)
    return RedirectResponse(f"/series/{series_id}", status_code=303)
