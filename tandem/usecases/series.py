"""Recurring 1:1s (SPEC S1-S4): create, view, edit from the next occurrence on, end, delete one
instance, archive, and the planned occurrences in any range."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import StringConstraints
from sqlalchemy.orm import Session

from tandem.domain import lifecycle
from tandem.domain.access import (
    View,
    may_facilitate,
    may_reassign_for,
    refuse_scheduling_for,
    require,
)
from tandem.domain.errors import Conflict, DomainError, invalid, not_found
from tandem.domain.inputs import Instant
from tandem.domain.meetings import MeetingKind
from tandem.domain.permissions import Permission
from tandem.domain.series import (
    DeleteOccurrence,
    EditSeries,
    EndSeries,
    Occurrence,
    OccurrenceNotMoved,
    ReassignSeries,
    Segment,
    Series,
    SeriesChanges,
    SeriesReassigned,
    SeriesStatus,
    rule_for,
)
from tandem.domain.times import TimeZoneName, local
from tandem.domain.users import User
from tandem.store import series as series_store
from tandem.store import users
from tandem.store.schema import MeetingRow
from tandem.store.series import SeriesRecord
from tandem.usecases import idempotency
from tandem.usecases.context import Services
from tandem.usecases.idempotency import Reply
from tandem.usecases.meeting_access import gate, now
from tandem.usecases.schemas import (
    LongTextIn,
    NameIn,
    ReassignBody,
    Strict,
    TextIn,
    UserId,
    iso,
    series_out,
)
from tandem.usecases.temporal import AlreadyFinished

RecurrenceSpec = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
]
DEFAULT_RANGE = timedelta(weeks=12)
LOOKUP_HORIZON = timedelta(days=3 * 366)


class SeriesCreate(Strict):
    participant_id: UserId
    facilitator_id: UserId | None = None
    name: NameIn
    description: LongTextIn = ""
    location: TextIn = ""
    starts_at: Instant
    duration_minutes: int
    timezone: TimeZoneName
    recurrence: RecurrenceSpec


class SeriesPatch(Strict):
    name: NameIn | None = None
    description: LongTextIn | None = None
    location: TextIn | None = None
    starts_at: Instant | None = None
    duration_minutes: int | None = None
    timezone: TimeZoneName | None = None
    recurrence: RecurrenceSpec | None = None


@dataclass(frozen=True)
class VisibleSeries:
    record: SeriesRecord
    view: View

    @property
    def series(self) -> Series:
        return self.record.series


def view_of_series(user: User, s: Series) -> View | None:
    if user.is_admin or user.id in (s.facilitator_id, s.participant_id):
        return View.FULL
    return View.LIFECYCLE if user.can(Permission.OPS_HISTORY) else None


def may_manage_series(user: User, s: Series) -> bool:
    return user.is_admin or (user.id == s.facilitator_id and user.can(Permission.FACILITATE))


async def load_series(svc: Services, user: User, series_id: str) -> VisibleSeries:
    record = await svc.db.read(lambda session: series_store.get_series(session, series_id))
    view = view_of_series(user, record.series) if record else None
    if record is None or view is None:
        raise not_found("series")
    return VisibleSeries(record, view)


async def create_series(
    svc: Services,
    user: User,
    body: SeriesCreate,
    *,
    idempotency_key: str | None = None,
) -> Reply:
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
    refuse_scheduling_for(user, people[facilitator_id])
    lifecycle.check_timing(MeetingKind.ONE_TO_ONE, body.starts_at, body.duration_minutes, now())
    rule_for(body.recurrence, body.starts_at, body.timezone)

    claim = await idempotency.claim_create(
        svc, user, idempotency_key, operation="create_series", body=body
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
        await idempotency.refuse(svc, user, claim, error)
    # The projection (with any clashes the first bookings met) is written before the answer.
    stored = await svc.db.read(lambda session: series_store.get_series(session, created.id))
    out = await with_occurrences(
        svc, user, VisibleSeries(stored or SeriesRecord(created, {}, False), View.FULL)
    )
    await idempotency.remember(svc, user, claim, 201, out)
    return Reply(201, out)


async def list_series(
    svc: Services, user: User, *, status: SeriesStatus | None = None, archived: bool = False
) -> list[SeriesRecord]:
    return await svc.db.read(
        lambda session: series_store.list_series(session, user.id, status=status, archived=archived)
    )


async def _send(
    svc: Services,
    user: User,
    visible: VisibleSeries,
    change: Any,
    *,
    operation: str,
    payload: Any,
    idempotency_key: str | None,
    present: Callable[[VisibleSeries], Awaitable[dict[str, Any]]],
    unwrap: Callable[[Any], Series] = lambda series: series,
) -> Reply:
    """Send one series change as its update; a retry with the same key gets the first answer,
    even when the change ended the series' workflow (see ``usecases.idempotency``).
    ``unwrap`` finds the series in an update's result when the result carries more."""
    claim = await idempotency.claim(
        svc, user, idempotency_key, operation=operation, target=visible.series.id, payload=payload
    )
    if claim.replay is not None:
        return claim.replay

    updated, _ = await idempotency.applied_once(
        svc,
        user,
        claim,
        lambda: _applied(svc, visible, change, claim.update_id, unwrap),
        recorded=lambda applied: applied.series,
    )
    current = await svc.db.read(lambda session: series_store.get_series(session, updated.id))
    kept = current or visible.record
    record = SeriesRecord(updated, kept.clashes, kept.archived)
    body = await present(VisibleSeries(record, visible.view))
    await idempotency.remember(svc, user, claim, 200, body)
    return Reply(200, body)


async def _applied(
    svc: Services,
    visible: VisibleSeries,
    change: Any,
    update_id: str | None,
    unwrap: Callable[[Any], Series],
) -> Series:
    return unwrap(await svc.series.apply(visible.series.id, change, request_id=update_id))


async def _plain(visible: VisibleSeries) -> dict[str, Any]:
    return series_out(visible.record, visible.view)


async def edit_series(
    svc: Services,
    user: User,
    series_id: str,
    body: SeriesPatch,
    *,
    idempotency_key: str | None = None,
) -> Reply:
    """The reply lists the next occurrences as they are after the change."""
    visible = await load_series(svc, user, series_id)
    gate(may_manage_series(user, visible.series), "change")
    changes = SeriesChanges.model_validate(body.model_dump(exclude_none=True))
    if not changes.model_dump(exclude_none=True):
        raise invalid("body", "nothing to change")
    if changes.duration_minutes is not None:
        start = changes.starts_at or now() + timedelta(minutes=1)
        lifecycle.check_timing(MeetingKind.ONE_TO_ONE, start, changes.duration_minutes, now())
    return await _send(
        svc,
        user,
        visible,
        EditSeries(actor_id=user.id, changes=changes),
        operation="edit_series",
        payload=body.model_dump(mode="json"),
        idempotency_key=idempotency_key,
        present=lambda v: with_occurrences(svc, user, v),
    )


async def end_series(
    svc: Services,
    user: User,
    series_id: str,
    reason: str | None = None,
    *,
    idempotency_key: str | None = None,
) -> Reply:
    visible = await load_series(svc, user, series_id)
    gate(may_manage_series(user, visible.series), "change")
    return await _send(
        svc,
        user,
        visible,
        EndSeries(actor_id=user.id, reason=reason),
        operation="end_series",
        payload={"reason": reason},
        idempotency_key=idempotency_key,
        present=_plain,
    )


async def reassign_series(
    svc: Services,
    user: User,
    series_id: str,
    body: ReassignBody,
    *,
    idempotency_key: str | None = None,
) -> Reply:
    """M10: the series and its occurrences still ahead to another facilitator. The reply lists
    the occurrences that kept their facilitator, and why."""
    visible = await load_series(svc, user, series_id)
    gate(may_reassign_for(user, visible.series.facilitator_id), "reassign")
    target = await svc.db.read(lambda session: users.get_user(session, body.facilitator_id))
    if target is None:
        raise invalid("facilitator_id", f"no user {body.facilitator_id}")
    if reason := may_facilitate(target, MeetingKind.ONE_TO_ONE, []):
        raise invalid("facilitator_id", reason)
    not_moved: list[OccurrenceNotMoved] = []

    def unwrap(result: SeriesReassigned) -> Series:
        not_moved.extend(result.not_moved)
        return result.series

    async def present(v: VisibleSeries) -> dict[str, Any]:
        return {
            **series_out(v.record, v.view),
            "not_moved": [o.model_dump(mode="json") for o in not_moved],
        }

    return await _send(
        svc,
        user,
        visible,
        ReassignSeries(actor_id=user.id, facilitator_id=body.facilitator_id, reason=body.reason),
        operation="reassign_series",
        payload=body.model_dump(mode="json"),
        idempotency_key=idempotency_key,
        present=present,
        unwrap=unwrap,
    )


async def delete_occurrence(
    svc: Services,
    user: User,
    series_id: str,
    meeting_id: str,
    reason: str | None = None,
    *,
    idempotency_key: str | None = None,
) -> Reply:
    visible = await load_series(svc, user, series_id)
    gate(may_manage_series(user, visible.series), "delete occurrences of")
    index = visible.series.index_of(meeting_id, now() + LOOKUP_HORIZON)
    if index is None:
        raise not_found("occurrence")
    change = DeleteOccurrence(
        actor_id=user.id,
        index=index,
        reason=reason,
        may_delete_started=user.is_admin or user.can(Permission.DELETE_STARTED),
    )
    return await _send(
        svc,
        user,
        visible,
        change,
        operation="delete_occurrence",
        payload={"meeting_id": meeting_id, "reason": reason},
        idempotency_key=idempotency_key,
        present=_plain,
    )


@dataclass(frozen=True)
class PlannedOccurrence:
    occurrence: Occurrence
    row: MeetingRow | None
    # "planned" (not materialised yet), "deleted", "clash", or the meeting's status
    status: str
    clash: str | None

    @property
    def starts_at(self) -> datetime:
        return self.row.starts_at if self.row is not None else self.occurrence.starts_at

    @property
    def ends_at(self) -> datetime:
        return self.row.ends_at if self.row is not None else self.occurrence.ends_at

    @property
    def timezone(self) -> str:
        return self.row.timezone if self.row is not None else self.occurrence.timezone

    def out(self) -> dict[str, Any]:
        return {
            "index": self.occurrence.index,
            "meeting_id": self.occurrence.meeting_id,
            "starts_at": iso(self.starts_at),
            "starts_at_local": local(self.starts_at, self.timezone).isoformat(),
            "ends_at": iso(self.ends_at),
            "timezone": self.timezone,
            "status": self.status,
            "materialised": self.row is not None,
            "planned_starts_at": iso(self.occurrence.starts_at),
            "clash": self.clash,
        }


def _planned(
    occurrence: Occurrence, row: MeetingRow | None, record: SeriesRecord
) -> PlannedOccurrence:
    index = occurrence.index
    if row is not None:
        status = row.status
    elif index in record.series.skipped:
        status = "deleted"
    elif index in record.clashes:
        status = "clash"
    else:
        status = "planned"
    return PlannedOccurrence(occurrence, row, status, record.clashes.get(index))


async def occurrences(
    svc: Services,
    user: User,
    series_id: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 200,
) -> list[PlannedOccurrence]:
    """Planned occurrences in [start, end) whether materialised yet or not (default: 12 weeks)."""
    visible = await load_series(svc, user, series_id)
    start = start or now()
    end = end or start + DEFAULT_RANGE
    if end <= start:
        raise invalid("to", "must be after from")
    planned = visible.series.planned(start, end, limit=limit)

    def rows(session: Session) -> dict[int, MeetingRow]:
        return series_store.meetings_of(session, series_id, [o.index for o in planned])

    made = await svc.db.read(rows)
    return [_planned(o, made.get(o.index), visible.record) for o in planned]


async def set_archived(svc: Services, user: User, series_id: str, archived: bool) -> VisibleSeries:
    visible = await load_series(svc, user, series_id)
    gate(may_manage_series(user, visible.series), "archive")
    if archived and visible.series.status is not SeriesStatus.ENDED:
        raise Conflict(
            "only an ended series can be archived (S4)", status=visible.series.status.value
        )
    if not archived and not visible.record.archived:
        raise invalid("archived", "the series is not archived")
    await svc.db.write(
        lambda session: series_store.set_archived(session, series_id, archived, now())
    )
    record = SeriesRecord(visible.series, visible.record.clashes, archived)
    return VisibleSeries(record, visible.view)


async def with_occurrences(svc: Services, user: User, visible: VisibleSeries) -> dict[str, Any]:
    """The series as the API shows it after a create or an edit, with its next occurrences
    (those due are booked before the workflow answers, so they are listed as materialised)."""
    upcoming = await occurrences(svc, user, visible.series.id)
    return {**series_out(visible.record, visible.view), "occurrences": [o.out() for o in upcoming]}
