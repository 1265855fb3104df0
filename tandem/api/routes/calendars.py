"""Calendars (issue 10): a person's feed, which calendar apps poll without a bearer header."""

from __future__ import annotations

from fastapi import APIRouter, Response

from tandem.api.responses import errors
from tandem.api.services import Svc
from tandem.usecases import calendar_feed as feeds

router = APIRouter(prefix="/v1", tags=["calendars"])


@router.get(
    "/users/{user_id}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, **errors(404)},
)
async def calendar_feed(user_id: str, svc: Svc, token: str = "") -> Response:
    """A person's meetings (the last 30 days and everything ahead) for a calendar app: the
    secret ``token`` of their feed link (``calendar_feed_url`` in /v1/users/me) stands in for
    signing in."""
    feed = await feeds.calendar_feed(svc, user_id, token)
    return Response(feed, media_type="text/calendar; charset=utf-8")
