"""My settings: the one-hour reminder (SPEC N3, the only notification one can turn off), the
time zone every time is shown in (A1), and the link of my calendar feed (issue 10)."""

from __future__ import annotations

from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tandem.domain.errors import DomainError
from tandem.domain.users import User
from tandem.usecases import calendar_feed, users
from tandem.usecases.schemas import SettingsPatch
from tandem.web.forms import from_form
from tandem.web.render import form_error, page, services
from tandem.web.session import WebUser

router = APIRouter(tags=["web: settings"])


@cache
def time_zones() -> list[str]:
    """Place names (Europe/London) and UTC; not the database's aliases such as "Etc/GMT+5"."""
    names = {
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix", "right"))
    }
    return ["UTC", *sorted(names)]


@router.get("/settings", include_in_schema=False)
async def settings_page(request: Request, user: WebUser, saved: bool = False) -> HTMLResponse:
    form = {"meeting_reminders": user.preferences.meeting_reminders, "timezone": user.timezone}
    shown = _shown(request, user)
    return await page(request, "settings.html", user, form=form, saved=saved, **shown)


def _shown(request: Request, user: User) -> dict:
    return {"zones": time_zones(), "feed_url": calendar_feed.feed_url(services(request), user)}


@router.post("/settings", include_in_schema=False)
async def save_settings(
    request: Request,
    user: WebUser,
    timezone: Annotated[str, Form(max_length=64)] = "",
    meeting_reminders: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    # An unticked checkbox is simply absent from the form.
    form = {"meeting_reminders": meeting_reminders is not None, "timezone": timezone}
    try:
        await users.update_settings(services(request), user, from_form(SettingsPatch, form))
    except (DomainError, ValidationError) as error:
        return await form_error(
            request, "settings.html", user, error, form=form, saved=False, **_shown(request, user)
        )
    return RedirectResponse("/settings?saved=true", status_code=303)


@router.post("/settings/calendar-feed", include_in_schema=False)
async def new_feed_link(request: Request, user: WebUser) -> Response:
    await calendar_feed.rotate_feed(services(request), user)
    return RedirectResponse("/settings?saved=true", status_code=303)
