"""The meeting projection: lists and views for the API, written by the workflow's activities."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from tandem.domain.meetings import (
    PLANNED,
    FocusRef,
    Meeting,
    MeetingEvent,
    MeetingKind,
    MeetingStatus,
)
from tandem.store.schema import MeetingEventRow, MeetingParticipantRow, MeetingRow
from tandem.store.sql import insert_ignoring_duplicates


@dataclass(frozen=True)
class MeetingRecord:
    meeting: Meeting
    archived: bool
    updated_at: datetime


def _to_meeting(row: MeetingRow) -> Meeting:
    return Meeting(
        id=row.id,
        kind=MeetingKind(row.kind),
        name=row.name,
        description=row.description,
        facilitator_id=row.facilitator_id,
        participant_ids=row.participant_ids,
        guest_emails=row.guest_emails,
        starts_at=row.starts_at,
        duration_minutes=row.duration_minutes,
        timezone=row.timezone,
        location=row.location,
        participant_preview=row.participant_preview,
        focus=[FocusRef.model_validate(f) for f in row.focus],
        status=MeetingStatus(row.status),
        series_id=row.series_id,
        occurrence_index=row.occurrence_index,
        created_by=row.created_by,
        created_at=row.created_at,
        started_at=row.started_at,
        completed_at=row.completed_at,
        version=row.version,
    )


def _record(row: MeetingRow) -> MeetingRecord:
    return MeetingRecord(_to_meeting(row), row.archived, row.updated_at)


def get_meeting(session: Session, meeting_id: str) -> MeetingRecord | None:
    row = session.get(MeetingRow, meeting_id)
    return None if row is None else _record(row)


_MEETINGS = MeetingRow.__table__
_PARTICIPANTS = MeetingParticipantRow.__table__
# The projection's statements, built once: building, coercing and keying a statement per call
# cost more than running it (issue 13). Executed on the session's connection (one transaction).
_CURRENT = select(_MEETINGS.c.version, _MEETINGS.c.participant_ids).where(
    _MEETINGS.c.id == bindparam("meeting_id")
)
_CURRENT_LOCKED = _CURRENT.with_for_update()
_INSERT = insert(_MEETINGS)
# Its SET clause is the parameters given (every column but the id and archived).
_UPDATE = update(_MEETINGS).where(_MEETINGS.c.id == bindparam("meeting_id"))
_DROP_PARTICIPANTS = delete(_PARTICIPANTS).where(
    _PARTICIPANTS.c.meeting_id == bindparam("meeting_id")
)
_INSERT_PARTICIPANTS = insert(_PARTICIPANTS)


def write_projection(session: Session, meeting: Meeting, now: datetime) -> bool:
    """Store the workflow's state unless a newer version is already there (retries are no-ops).

    Core statements, not ORM objects: this runs in every lifecycle change's write transaction,
    where loading a row into the session and flushing it cost about twice the SQL (issue 13)."""
    connection = session.connection()
    locked = connection.dialect.name == "postgresql"
    row = connection.execute(
        _CURRENT_LOCKED if locked else _CURRENT, {"meeting_id": meeting.id}
    ).first()
    if row is not None and row.version >= meeting.version:
        return False
    values = {
        "kind": meeting.kind.value,
        "name": meeting.name,
        "description": meeting.description,
        "facilitator_id": meeting.facilitator_id,
        "created_by": meeting.created_by,
        "guest_emails": list(meeting.guest_emails),
        "participant_ids": list(meeting.participant_ids),
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "duration_minutes": meeting.duration_minutes,
        "timezone": meeting.timezone,
        "location": meeting.location,
        "participant_preview": meeting.participant_preview,
        "focus": [f.model_dump() for f in meeting.focus],
        "status": meeting.status.value,
        "series_id": meeting.series_id,
        "occurrence_index": meeting.occurrence_index,
        "version": meeting.version,
        "started_at": meeting.started_at,
        "completed_at": meeting.completed_at,
        "created_at": meeting.created_at,
        "updated_at": now,
    }
    if row is None:
        connection.execute(_INSERT, {"id": meeting.id, "archived": False, **values})
    else:
        connection.execute(_UPDATE, {"meeting_id": meeting.id, **values})
        if list(row.participant_ids) == values["participant_ids"]:
            return True
        connection.execute(_DROP_PARTICIPANTS, {"meeting_id": meeting.id})
    if meeting.participant_ids:
        connection.execute(
            _INSERT_PARTICIPANTS,
            [{"meeting_id": meeting.id, "user_id": uid} for uid in meeting.participant_ids],
        )
    return True


def set_archived(session: Session, meeting_id: str, archived: bool, now: datetime) -> None:
    session.execute(
        update(MeetingRow)
        .where(MeetingRow.id == meeting_id)
        .values(archived=archived, updated_at=now)
    )


@dataclass(frozen=True)
class Page:
    items: list[MeetingRecord]
    next_cursor: str | None


def _encode_cursor(record: MeetingRecord) -> str:
    raw = json.dumps([record.meeting.starts_at.isoformat(), record.meeting.id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Raises ValueError on anything that is not a cursor this module produced."""
    try:
        starts_at, meeting_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        moment = datetime.fromisoformat(starts_at)
    except Exception as exc:
        raise ValueError("malformed cursor") from exc
    if moment.tzinfo is None:
        raise ValueError("malformed cursor")
    return moment, str(meeting_id)


def list_meetings(
    session: Session,
    *,
    user_id: str,
    role: str,
    statuses: Iterable[MeetingStatus] | None,
    archived: bool,
    cursor: str | None,
    limit: int,
) -> Page:
    """A6: meetings where ``user_id`` is the facilitator, or a participant; oldest first."""
    query = select(MeetingRow).where(
        MeetingRow.archived == archived, MeetingRow.status != MeetingStatus.DELETED.value
    )
    if role == "facilitator":
        query = query.where(MeetingRow.facilitator_id == user_id)
    else:
        query = query.join(
            MeetingParticipantRow, MeetingParticipantRow.meeting_id == MeetingRow.id
        ).where(MeetingParticipantRow.user_id == user_id)
    if statuses:
        query = query.where(MeetingRow.status.in_([s.value for s in statuses]))
    if cursor:
        after_start, after_id = decode_cursor(cursor)
        query = query.where(
            or_(
                MeetingRow.starts_at > after_start,
                and_(MeetingRow.starts_at == after_start, MeetingRow.id > after_id),
            )
        )
    rows = (
        session.scalars(query.order_by(MeetingRow.starts_at, MeetingRow.id).limit(limit + 1))
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    records = [_record(row) for row in rows]
    return Page(records, _encode_cursor(records[-1]) if more and records else None)


def attended_since(session: Session, user_id: str, since: datetime) -> list[Meeting]:
    """Every meeting ``user_id`` facilitates or attends that ends after ``since``, cancelled
    and deleted ones too (a calendar feed marks them), by start."""
    attends = select(MeetingParticipantRow.meeting_id).where(
        MeetingParticipantRow.user_id == user_id
    )
    query = select(MeetingRow).where(
        MeetingRow.ends_at > since,
        or_(MeetingRow.facilitator_id == user_id, MeetingRow.id.in_(attends)),
    )
    return [_to_meeting(row) for row in session.scalars(query.order_by(MeetingRow.starts_at))]


def record_event(session: Session, event: MeetingEvent) -> None:
    insert_ignoring_duplicates(
        session,
        MeetingEventRow.__table__,
        [
            {
                "id": event.id,
                "meeting_id": event.meeting_id,
                "at": event.at,
                "action": event.action,
                "actor_id": event.actor_id,
                "reason": event.reason,
                "details": event.details,
            }
        ],
        ["id"],
    )


def history(session: Session, meeting_id: str) -> list[MeetingEvent]:
    rows = (
        session.scalars(
            select(MeetingEventRow)
            .where(MeetingEventRow.meeting_id == meeting_id)
            .order_by(MeetingEventRow.at, MeetingEventRow.id)
        )
    ).all()
    return [
        MeetingEvent(
            id=r.id,
            meeting_id=r.meeting_id,
            at=r.at,
            action=r.action,
            actor_id=r.actor_id,
            reason=r.reason,
            details=r.details,
        )
        for r in rows
    ]


def planned_coaching(
    session: Session,
    user_ids: list[str],
    start: datetime,
    end: datetime,
    statuses: Iterable[MeetingStatus] = PLANNED,
) -> list[MeetingRecord]:
    """Coaching appointments (by default those still ahead) that involve any of these people in
    [start, end)."""
    attending = select(MeetingParticipantRow.meeting_id).where(
        MeetingParticipantRow.user_id.in_(user_ids)
    )
    rows = session.scalars(
        select(MeetingRow).where(
            MeetingRow.kind == MeetingKind.COACHING.value,
            MeetingRow.status.in_([s.value for s in statuses]),
            MeetingRow.starts_at < end,
            MeetingRow.ends_at > start,
            or_(MeetingRow.id.in_(attending), MeetingRow.facilitator_id.in_(user_ids)),
        )
    ).all()
    return [_record(row) for row in rows]


def find(session: Session, *, text: str, user_id: str | None, limit: int) -> list[MeetingRecord]:
    """Meetings whose id is ``text`` or whose name contains it (any case), optionally only those
    ``user_id`` facilitates or attends; soonest first. Deleted ones included: ops look for them."""
    query = select(MeetingRow)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(MeetingRow.id == text, MeetingRow.name.ilike(pattern, escape="\\")))
    if user_id:
        attends = select(MeetingParticipantRow.meeting_id).where(
            MeetingParticipantRow.user_id == user_id
        )
        query = query.where(or_(MeetingRow.facilitator_id == user_id, MeetingRow.id.in_(attends)))
    rows = session.scalars(query.order_by(MeetingRow.starts_at.desc(), MeetingRow.id).limit(limit))
    return [_record(row) for row in rows]
