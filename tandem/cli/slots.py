"""``tandem slots``: find (and optionally book) coaching time from a terminal (W2-W4).

A client of the running API rather than of the database, so that the caller's token decides what
they may see (``coaching.schedule-slot.view``, A5) exactly as it does over HTTP, and a booking goes
through the meeting workflow and the booking guard like any other.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tandem.cli.api_client import CliError, checked

DEFAULT_DAYS = 7


@dataclass(frozen=True)
class SlotsRequest:
    agent_ids: list[str]
    window_from: str | None
    window_to: str | None
    duration: int
    facilitator_id: str | None
    limit: int
    exclude_meeting_id: str | None
    book: int | None
    name: str


def _instant(text: str, zone: ZoneInfo) -> datetime:
    """ISO-8601 with an offset as given; a date (midnight) or a date-time without one: local."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"{text!r} is not an ISO-8601 date or date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _window(request: SlotsRequest, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = (
        _instant(request.window_from, zone)
        if request.window_from
        else datetime.now(zone).replace(second=0, microsecond=0)
    )
    end = (
        _instant(request.window_to, zone)
        if request.window_to
        else start + timedelta(days=DEFAULT_DAYS)
    )
    return start, end


def _table(slots: list[dict[str, Any]], zone: ZoneInfo) -> str:
    if not slots:
        return "no free slot in that window"
    header = f"starts ({zone.key})"
    width = max(len(header), len("Mon 2030-01-01 00:00"))
    lines = [f" #  {header:<{width}}  min  rating    score  why"]
    for rank, slot in enumerate(slots, 1):
        start = datetime.fromisoformat(slot["starts_at"]).astimezone(zone)
        minutes = (datetime.fromisoformat(slot["ends_at"]) - start) // timedelta(minutes=1)
        lines.append(
            f"{rank:>2}  {f'{start:%a %Y-%m-%d %H:%M}':<{width}}  {minutes:>3}  "
            f"{slot['rating']:<8}  {slot['score']:>5.2f}  {'; '.join(slot['reasons'])}"
        )
    return "\n".join(lines)


def find(http: httpx.Client, request: SlotsRequest, *, as_json: bool) -> str:
    """The slots as a table in the caller's time zone (or the API's JSON), booking one if asked."""
    me = checked(http.get("/v1/users/me"))
    zone = ZoneInfo(me["timezone"])
    start, end = _window(request, zone)
    body: dict[str, Any] = {
        "attendee_ids": request.agent_ids,
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "duration_minutes": request.duration,
        "limit": request.limit,
        "include_schedules": as_json,
    }
    if request.facilitator_id:
        body["facilitator_id"] = request.facilitator_id
    if request.exclude_meeting_id:
        body["exclude_meeting_id"] = request.exclude_meeting_id
    found = checked(http.post("/v1/coaching/slots/query", json=body))
    if request.book is None:
        return json.dumps(found, indent=2) if as_json else _table(found["slots"], zone)
    if not 1 <= request.book <= len(found["slots"]):
        raise CliError(f"--book {request.book}: there are {len(found['slots'])} slots")
    chosen = found["slots"][request.book - 1]
    meeting = checked(
        http.post(
            "/v1/meetings",
            json={
                "kind": "coaching",
                "name": request.name,
                "participant_ids": request.agent_ids,
                "facilitator_id": request.facilitator_id or me["id"],
                "starts_at": chosen["starts_at"],
                "duration_minutes": request.duration,
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
    )
    if as_json:
        return json.dumps(meeting, indent=2)
    local = datetime.fromisoformat(meeting["starts_at"]).astimezone(zone)
    return f"booked {meeting['id']}: {meeting['name']} on {local:%a %Y-%m-%d %H:%M} ({zone.key})"
