"""The notifications page (SPEC N1): newest first, unread marked, each one can be marked read."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tandem.usecases import notifications
from tandem.web.render import page, services
from tandem.web.session import WebUser

router = APIRouter(tags=["web: notifications"])

PER_PAGE = 20


@router.get("/notifications", include_in_schema=False)
async def notifications_page(request: Request, user: WebUser, before: str = "") -> HTMLResponse:
    found = await notifications.list_notifications(
        services(request), user, cursor=before or None, limit=PER_PAGE
    )
    return await page(
        request,
        "notifications.html",
        user,
        items=found.items,
        next_cursor=found.next_cursor,
        before=before,
    )


@router.post("/notifications/{notification_id}/read", include_in_schema=False)
async def mark_read(
    request: Request,
    notification_id: str,
    user: WebUser,
    before: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """htmx gets the item back, now read, and the bell's new count; a plain form goes back to
    the page it was on."""
    item = await notifications.mark_read(services(request), user, notification_id)
    if not request.headers.get("HX-Request"):
        target = f"/notifications?before={quote(before)}" if before else "/notifications"
        return RedirectResponse(target, status_code=303)
    return await page(request, "_notification.html", user, item=item, before=before, oob=True)
