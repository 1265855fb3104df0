"""Recurring 1:1s (SPEC S1-S4): create, view, edit from the next occurrence on, end, delete one
instance, archive, and the planned occurrences in any range."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, StringConstraints
from sqlalchemy.orm import Session

from tandem.api import idempotency
from tandem.api.auth import CurrentUser, require
from tandem.api.errors import from_domain, invalid, not_found
from tandem.api.idempotency import IdempotencyKey
from tandem.api.meeting_access import gate, now
from tandem.api.schemas import OptionalReasonBody, Strict, UserId, iso
from tandem.api.services import Services, Svc
from tandem.api.temporal import AlreadyFinished
from tandem.domain import lifecycle
from tandem.domain.access import View, may_facilitate
from tandem.domain.errors import Conflict, DomainError
from tandem.domain.meetings import LongText, MeetingKind, Name, Text
from tandem.domain.permissions import Permission
from tandem.domain.series import (
    DeleteOccurrence,
    EditSeries,
    EndSeries,
    Segment,
    Series,
    SeriesChanges,
    SeriesStatus,
    rule_for,
)
from tandem.domain.times import TimeZoneName, local
from tandem.domain.users import User
from tandem.store import series as series_store
from tandem.store import users
from tandem.store.schema import MeetingRow
from tandem.store.series import SeriesRecord

router = APIRouter(prefix="/v1/series", tags=["series"])

RecurrenceSpec = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
]
DEFAULT_RANGE = timedelta(weeks=12)
LOOKUP_HORIZON = timedelta(days=3 * 366)


class SeriesCreate(Strict):
    participant_id: UserId
    facilitator_id: UserId | None = None
    name: Name
    description: LongText = ""
    location: Text = ""
    starts_at: AwareDatetime
    duration_minutes: int
    timezone: TimeZoneName
    recurrence: RecurrenceSpec


class SeriesPatch(Strict):
    name: Name | None = None
    description: LongText | None = None
    location: Text | None = None
    starts_at: AwareDatetime | None = None
    duration_minutes: int | None = None
    timezone: TimeZoneName | None = None
    recurrence: RecurrenceSpec | None = None


def _view(user: User, s: Series) -> View | None:
    if user.is_admin or user.id in (s.facilitator_id, s.participant_id):
        return View.FULL
    return View.LIFECYCLE if user.can(Permission.OPS_HISTORY) else None


def _out(record: SeriesRecord, view: View) -> dict[str, Any]:
    s = record.series
    current = s.current
    out = {
        "id": s.id,
        "name": s.name,
        "facilitator_id": s.facilitator_id,
        "participant_id": s.participant_id,
        "status": s.status.value,
        "archived": record.archived,
        "starts_at": iso(s.segments[0].starts_at),
        "timezone": current.timezone,
        "duration_minutes": current.duration_minutes,
        "recurrence": current.recurrence,
        "rrule": current.rule().rrule_string(),
        "segments": [seg.model_dump(mode="json") for seg in s.segments],
        "skipped": list(s.skipped),
        "clashes": [
            {"index": index, "reason": reason} for index, reason in sorted(record.clashes.items())
        ],
        "created_at": iso(s.created_at),
        "ended_at": iso(s.ended_at),
        "version": s.version,
        "view": view.value,
        "description": s.description,
        "location": s.location,
    }
    if view is not View.FULL:
        out.pop("description")
        out.pop("location")
    return out


async def _load(svc: Services, user: User, series_id: str) -> tuple[SeriesRecord, View]:
    record = await svc.db.read(lambda session: series_store.get_series(session, series_id))
    view = _view(user, record.series) if record else None
    if record is None or view is None:
        raise not_found("series")
    return record, view


def _may_manage(user: User, s: Series) -> bool:
    return user.is_admin or (user.id == s.facilitator_id and user.can(Permission.FACILITATE))


@router.post("", status_code=201)
async def create_series(
    body: SeriesCreate, user: CurrentUser, svc: Svc, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    require(user, Permission.FACILITATE)
    facilitator_id = body.facilitator_id or user.id
    people = await svc.db.read(
        lambda session: users.get_users(session, [facilitator_id, body.participant_id])
    )
    if facilitator_id not in people:
        raise invalid("facilitator_id", f"no user {facilitator_id}")
    if body.participant_id not in people:
        raise invalid("participant_id", f"no user {body.participant_id}")
    if body.participant_id == facilitator_id:
        raise invalid("participant_id", "a 1:1 needs two different people")
    if reason := may_facilitate(people[facilitator_id], MeetingKind.ONE_TO_ONE, []):
        raise invalid("facilitator_id", reason)
    lifecycle.check_timing(MeetingKind.ONE_TO_ONE, body.starts_at, body.duration_minutes, now())
    rule_for(body.recurrence, body.starts_at, body.timezone)

    claim = await idempotency.claim(
        svc,
        user,
        idempotency_key,
        operation="create_series",
        target=None,
        payload=body.model_dump(mode="json"),
        new_resource_id=str(uuid.uuid4()),
    )
    if claim.replay is not None:
        return claim.replay
    assert claim.resource_id is not None
    series = Series(
        id=claim.resource_id,
        facilitator_id=facilitator_id,
        participant_id=body.participant_id,
        name=body.name,
        description=body.description,
        location=body.location,
        segments=[
            Segment(
                first_index=0,
                starts_at=body.starts_at,
                duration_minutes=body.duration_minutes,
                timezone=body.timezone,
                recurrence=body.recurrence,
            )
        ],
        created_by=user.id,
        created_at=now(),
    )
    try:
        created = await svc.series.create(series, user.id)
    except AlreadyFinished:
        record = await svc.db.read(lambda session: series_store.get_series(session, series.id))
        if record is None:
            raise Conflict("this request was already refused; use a new Idempotency-Key") from None
        created = record.series
    except DomainError as error:
        refusal = from_domain(error)
        await idempotency.remember(svc, user, claim, refusal.status, refusal.payload())
        raise refusal from None
    out = _out(SeriesRecord(created, {}, False), View.FULL)
    await idempotency.remember(svc, user, claim, 201, out)
    return JSONResponse(out, status_code=201)


@router.get("")
async def list_series(
    user: CurrentUser,
    svc: Svc,
    status: SeriesStatus | None = None,
    archived: bool = False,
) -> dict:
    records = await svc.db.read(
        lambda session: series_store.list_series(session, user.id, status=status, archived=archived)
    )
    return {"items": [_out(r, View.FULL) for r in records], "next_cursor": None}


@router.get("/{series_id}")
async def get_series(series_id: str, user: CurrentUser, svc: Svc) -> dict:
    record, view = await _load(svc, user, series_id)
    return _out(record, view)


async def _send(svc: Services, user: User, record: SeriesRecord, view: View, change: Any) -> dict:
    gate(_may_manage(user, record.series), "change")
    updated = await svc.series.apply(record.series.id, change)
    current = await svc.db.read(lambda session: series_store.get_series(session, updated.id))
    return _out(current or SeriesRecord(updated, record.clashes, record.archived), view)


@router.patch("/{series_id}")
async def edit_series(series_id: str, body: SeriesPatch, user: CurrentUser, svc: Svc) -> dict:
    record, view = await _load(svc, user, series_id)
    changes = SeriesChanges.model_validate(body.model_dump(exclude_none=True))
    if not changes.model_dump(exclude_none=True):
        raise invalid("body", "nothing to change")
    if changes.duration_minutes is not None:
        start = changes.starts_at or now() + timedelta(minutes=1)
        lifecycle.check_timing(MeetingKind.ONE_TO_ONE, start, changes.duration_minutes, now())
    return await _send(svc, user, record, view, EditSeries(actor_id=user.id, changes=changes))


@router.post("/{series_id}/end")
async def end_series(
    series_id: str,
    user: CurrentUser,
    svc: Svc,
    body: Annotated[OptionalReasonBody | None, Body()] = None,
) -> dict:
    record, view = await _load(svc, user, series_id)
    reason = body.reason if body else None
    return await _send(svc, user, record, view, EndSeries(actor_id=user.id, reason=reason))


@router.delete("/{series_id}/occurrences/{meeting_id}")
async def delete_occurrence(
    series_id: str,
    meeting_id: str,
    user: CurrentUser,
    svc: Svc,
    body: Annotated[OptionalReasonBody | None, Body()] = None,
) -> dict:
    record, view = await _load(svc, user, series_id)
    gate(_may_manage(user, record.series), "delete occurrences of")
    index = record.series.index_of(meeting_id, now() + LOOKUP_HORIZON)
    if index is None:
        raise not_found("occurrence")
    change = DeleteOccurrence(
        actor_id=user.id,
        index=index,
        reason=body.reason if body else None,
        may_delete_started=user.is_admin or user.can(Permission.DELETE_STARTED),
    )
    return await _send(svc, user, record, view, change)


def _occurrence_out(
    occurrence: Any, row: MeetingRow | None, record: SeriesRecord
) -> dict[str, Any]:
    index = occurrence.index
    if row is not None:
        status = row.status
    elif index in record.series.skipped:
        status = "deleted"
    elif index in record.clashes:
        status = "clash"
    else:
        status = "planned"
    starts_at = row.starts_at if row is not None else occurrence.starts_at
    zone = row.timezone if row is not None else occurrence.timezone
    ends_at = row.ends_at if row is not None else occurrence.ends_at
    return {
        "index": index,
        "meeting_id": occurrence.meeting_id,
        "starts_at": iso(starts_at),
        "starts_at_local": local(starts_at, zone).isoformat(),
        "ends_at": iso(ends_at),
        "timezone": zone,
        "status": status,
        "materialised": row is not None,
        "planned_starts_at": iso(occurrence.starts_at),
        "clash": record.clashes.get(index),
    }


@router.get("/{series_id}/occurrences")
async def occurrences(
    series_id: str,
    user: CurrentUser,
    svc: Svc,
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict:
    """Planned occurrences in [from, to) whether materialised yet or not (default: 12 weeks)."""
    record, _ = await _load(svc, user, series_id)
    start = start or now()
    end = end or start + DEFAULT_RANGE
    if end <= start:
        raise invalid("to", "must be after from")
    planned = record.series.planned(start, end, limit=limit)

    def rows(session: Session) -> dict[int, MeetingRow]:
        return series_store.meetings_of(session, series_id, [o.index for o in planned])

    made = await svc.db.read(rows)
    items = [_occurrence_out(o, made.get(o.index), record) for o in planned]
    return {"items": items, "next_cursor": None}


async def _set_archived(series_id: str, archived: bool, user: User, svc: Services) -> dict:
    record, view = await _load(svc, user, series_id)
    gate(_may_manage(user, record.series), "archive")
    if archived and record.series.status is not SeriesStatus.ENDED:
        raise Conflict(
            "only an ended series can be archived (S4)", status=record.series.status.value
        )
    if not archived and not record.archived:
        raise invalid("archived", "the series is not archived")
    await svc.db.write(
        lambda session: series_store.set_archived(session, series_id, archived, now())
    )
    return _out(SeriesRecord(record.series, record.clashes, archived), view)


@router.post("/{series_id}/archive")
async def archive_series(series_id: str, user: CurrentUser, svc: Svc) -> dict:
    return await _set_archived(series_id, True, user, svc)


@router.post("/{series_id}/unarchive")
async def unarchive_series(series_id: str, user: CurrentUser, svc: Svc) -> dict:
    return await _set_archived(series_id, False, user, svc)
