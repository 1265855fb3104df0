"""Ops (SPEC O1, A4): find any meeting and read its lifecycle, never its content."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowExecution

from tandem.domain.access import require, view_of
from tandem.domain.errors import invalid
from tandem.domain.meetings import MeetingStatus
from tandem.domain.permissions import Permission
from tandem.domain.times import zone
from tandem.domain.users import User
from tandem.store import meetings, users
from tandem.usecases.context import Services
from tandem.usecases.meetings import ListedMeeting
from tandem.usecases.payload_codec import PayloadKeyError
from tandem.workflows import search_attributes as keys

FIND_LIMIT = 50


async def find_meetings(
    svc: Services, user: User, *, text: str = "", person_id: str | None = None
) -> list[ListedMeeting]:
    """Meetings by id or name (and person), as the caller's view of each allows."""
    require(user, Permission.OPS_HISTORY)
    text = text.strip()
    if not text and not person_id:
        return []

    def read(session: Session) -> list[tuple[meetings.MeetingRecord, dict[str, User]]]:
        found = meetings.find(session, text=text, user_id=person_id, limit=FIND_LIMIT)
        people = users.get_users(session, {p for r in found for p in r.meeting.participant_ids})
        return [(r, people) for r in found]

    listed = []
    for record, people in await svc.db.read(read):
        view = view_of(user, record.meeting, people)
        if view is not None:
            listed.append(ListedMeeting(record.meeting, record.archived, view))
    return listed


@dataclass(frozen=True)
class FoundWorkflow:
    """A meeting workflow as visibility lists it: its search attributes, and the names of the
    people and the meeting from the projection."""

    workflow_id: str
    meeting_id: str
    name: str | None
    status: str
    starts_at: datetime  # in the caller's zone
    facilitator_id: str
    participant_ids: list[str]
    series_id: str | None


@dataclass(frozen=True)
class FoundPage:
    items: list[FoundWorkflow]
    names: dict[str, str]  # of the people in ``items``
    next_cursor: str | None
    query: str


async def find_workflows(
    svc: Services,
    user: User,
    *,
    facilitator_id: str | None = None,
    participant_id: str | None = None,
    status: MeetingStatus | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> FoundPage:
    """O1: meeting workflows by facilitator, participant, status and days (``day_to``
    included, both in the caller's zone), through Temporal's visibility: the same query ops
    can type into the Temporal UI."""
    require(user, Permission.OPS_HISTORY)
    if day_from and day_to and day_to < day_from:
        raise invalid("to", "must not be before from")
    tz = zone(user.timezone)
    query = keys.meeting_query(
        facilitator_id=facilitator_id,
        participant_id=participant_id,
        status=status.value if status else None,
        starts_from=datetime.combine(day_from, time(), tz) if day_from else None,
        starts_before=(
            datetime.combine(day_to + timedelta(days=1), time(), tz) if day_to else None
        ),
    )
    listing = svc.meetings.client.list_workflows(
        query, page_size=limit, next_page_token=_token(cursor)
    )
    await listing.fetch_next_page()
    found = [_found(w) for w in listing.current_page]
    found = [f for f in found if f is not None]

    def read(session: Session) -> tuple[dict[str, str], dict[str, str]]:
        people = users.get_users(
            session, {p for f in found for p in (f.facilitator_id, *f.participant_ids)}
        )
        titles = {}
        for f in found:
            if (record := meetings.get_meeting(session, f.meeting_id)) is not None:
                titles[f.meeting_id] = record.meeting.name
        return {uid: u.name for uid, u in people.items()}, titles

    names, titles = await svc.db.read(read)
    items = [
        replace(f, name=titles.get(f.meeting_id), starts_at=f.starts_at.astimezone(tz))
        for f in found
    ]
    token = listing.next_page_token
    cursor = base64.urlsafe_b64encode(token).decode() if token else None
    return FoundPage(items, names, cursor, query)


def day(field: str, value: str | None) -> date | None:
    """A YYYY-MM-DD query value as a date (the route checked its shape)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(field, f"{value!r} is not a day (YYYY-MM-DD)") from None


def _token(cursor: str | None) -> bytes | None:
    if cursor is None:
        return None
    try:
        return base64.b64decode(cursor, altchars=b"-_", validate=True) or None
    except (binascii.Error, ValueError):
        raise invalid("cursor", "not a cursor this API gave") from None


def _found(execution: WorkflowExecution) -> FoundWorkflow | None:
    attrs = execution.typed_search_attributes
    meeting_id, starts = attrs.get(keys.MEETING_ID), attrs.get(keys.STARTS_AT)
    if meeting_id is None or starts is None:
        return None  # started but never created (update-with-start refused before its first task)
    return FoundWorkflow(
        workflow_id=execution.id,
        meeting_id=meeting_id,
        name=None,
        status=attrs.get(keys.MEETING_STATUS) or "",
        starts_at=starts,
        facilitator_id=attrs.get(keys.FACILITATOR_ID) or "",
        participant_ids=list(attrs.get(keys.PARTICIPANT_IDS) or []),
        series_id=attrs.get(keys.SERIES_ID),
    )


async def open_payloads(svc: Services, user: User, payloads: list[Payload]) -> list[Payload]:
    """Sealed Temporal payloads opened for the Temporal UI and CLI (issue 8): lifecycle data for
    people with ``ops.history.view``; note contents are never in a workflow's payloads."""
    require(user, Permission.OPS_HISTORY)
    codec = svc.meetings.client.data_converter.payload_codec
    if codec is None:
        return payloads
    try:
        return await codec.decode(payloads)
    except PayloadKeyError as error:
        raise invalid("payloads", str(error)) from None


async def seal_payloads(svc: Services, user: User, payloads: list[Payload]) -> list[Payload]:
    """The reverse, for ``temporal workflow start --codec-endpoint`` and the like."""
    require(user, Permission.OPS_HISTORY)
    codec = svc.meetings.client.data_converter.payload_codec
    return payloads if codec is None else await codec.encode(payloads)
