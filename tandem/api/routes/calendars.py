"""Calendars (issue 10): a person's feed, which calendar apps poll without a bearer header,
and the CalDAV / ICS calendars people connect (K1, K2; rules in tandem.usecases.calendars).
A failed candidates read or import counts in ``tandem_import_failures_total{source="calendar"}``
(SPEC O2)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from tandem.api.auth import CurrentUser
from tandem.api.responses import (
    AUTHED,
    CHANGES,
    CalendarCandidateList,
    CalendarLinkList,
    CalendarList,
    CalendarOut,
    ImportedList,
    RelinkedOut,
    errors,
)
from tandem.api.services import Svc
from tandem.domain.calendars import CalendarConnection
from tandem.observability.metrics import CALENDAR_IMPORTS, counting_failures
from tandem.usecases import calendar_feed as feeds
from tandem.usecases import calendar_sync
from tandem.usecases import calendars as connected
from tandem.usecases.calendar_sync import Relink
from tandem.usecases.calendars import CalendarConnect, CalendarImport

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


# -- connected calendars (K1, K2) --------------------------------------------------------------


def _calendar_out(c: CalendarConnection) -> dict:
    return {
        "id": c.id,
        "kind": c.kind.value,
        "name": c.name,
        "url": c.url,
        "username": c.username,
        "status": c.status.value,
        "error": c.error,
        "read_only": c.read_only,
        "last_synced_at": c.last_synced_at.isoformat() if c.last_synced_at else None,
        "created_at": c.created_at.isoformat(),
    }


@router.post("/calendars", status_code=201, response_model=CalendarOut, responses=errors(401, 422))
async def connect_calendar(body: CalendarConnect, user: CurrentUser, svc: Svc) -> dict:
    """Connect a CalDAV calendar (URL of the calendar collection, username, password) or an ICS
    feed (the "secret address in iCal format" of Google or Outlook). It is read once at once:
    ``status`` and ``error`` say whether that worked."""
    return _calendar_out(await connected.connect(svc, user, body))


@router.get("/calendars", response_model=CalendarList, responses=AUTHED)
async def list_calendars(user: CurrentUser, svc: Svc) -> dict:
    found = await connected.list_calendars(svc, user)
    return {"items": [_calendar_out(c) for c in found], "next_cursor": None}


@router.get("/calendars/{calendar_id}", response_model=CalendarOut, responses=AUTHED)
async def get_calendar(calendar_id: str, user: CurrentUser, svc: Svc) -> dict:
    return _calendar_out(await connected.get_calendar(svc, user, calendar_id))


@router.delete("/calendars/{calendar_id}", status_code=204, responses=AUTHED)
async def delete_calendar(calendar_id: str, user: CurrentUser, svc: Svc) -> Response:
    await connected.delete_calendar(svc, user, calendar_id)
    return Response(status_code=204)


@router.post(
    "/calendars/{calendar_id}/sync", status_code=202, response_model=CalendarOut, responses=AUTHED
)
async def sync_calendar(calendar_id: str, user: CurrentUser, svc: Svc) -> dict:
    """Read the calendar again now and follow what changed in it (K3), instead of at the next
    pass (every ``TANDEM_CALENDAR_SYNC_SECONDS``); the connection as it is now, whose
    ``last_synced_at`` and ``status`` tell when the pass is done."""
    return _calendar_out(await connected.sync_now(svc, user, calendar_id))


@router.get(
    "/calendars/{calendar_id}/candidates",
    response_model=CalendarCandidateList,
    responses={**AUTHED, **errors(409)},
)
async def calendar_candidates(calendar_id: str, user: CurrentUser, svc: Svc) -> dict:
    """The events of the next four weeks that could become 1:1s: recurring weekly, biweekly,
    triweekly or monthly, or one-off, each with exactly one other Tandem user."""
    with counting_failures(CALENDAR_IMPORTS):
        found = await connected.candidates(svc, user, calendar_id)
    return {
        "items": [
            {
                "id": c.event.id,
                "uid": c.event.uid,
                "summary": c.event.summary,
                "starts_at": c.event.starts_at.isoformat(),
                "duration_minutes": c.event.duration_minutes,
                "timezone": c.event.timezone,
                "recurrence": c.event.recurrence,
                "other_user_id": c.other_user_id,
            }
            for c in found.items
        ],
        "skipped": [
            {"uid": s.uid, "summary": s.summary, "reason": s.reason} for s in found.skipped
        ],
    }


@router.post(
    "/calendars/{calendar_id}/import",
    response_model=ImportedList,
    responses=CHANGES,
)
async def import_from_calendar(
    calendar_id: str, body: CalendarImport, user: CurrentUser, svc: Svc
) -> dict:
    """The chosen candidates as series or one-off 1:1s that you facilitate (S2 holds)."""
    with counting_failures(CALENDAR_IMPORTS):
        done = await connected.import_events(svc, user, calendar_id, body)
    return {
        "items": [
            {"candidate_id": i.candidate_id, "series_id": i.series_id, "meeting_id": i.meeting_id}
            for i in done
        ]
    }


@router.get("/calendars/{calendar_id}/links", response_model=CalendarLinkList, responses=AUTHED)
async def calendar_links(calendar_id: str, user: CurrentUser, svc: Svc) -> dict:
    """What was imported from this calendar (K3), and the series sync no longer follows:
    one whose event was split ("this and following events") shows ``disconnected`` with the
    reason until it is relinked."""
    found = await calendar_sync.links(svc, user, calendar_id)
    return {
        "items": [
            {
                "uid": link.uid,
                "series_id": link.series_id,
                "meeting_id": link.meeting_id,
                "status": "disconnected" if link.disconnected else "linked",
                "reason": link.disconnected,
            }
            for link in found
        ]
    }


@router.post(
    "/series/{series_id}/relink", response_model=RelinkedOut, responses={**AUTHED, **errors(409)}
)
async def relink_series(series_id: str, body: Relink, user: CurrentUser, svc: Svc) -> dict:
    """K3: link a series to another event of one of your calendars (the one that continues it
    after a "this and following" edit there); from the next pass the series follows that event,
    taking its time and name, and changes made in Tandem are written back to it (CalDAV)."""
    return (await calendar_sync.relink(svc, user, series_id, body)).model_dump()
