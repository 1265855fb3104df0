"""Agenda topics, action items and notes: ordered, authorised CRUD, and the series rollover."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tandem.domain.content import Direction, ItemKind, NoteVisibility
from tandem.domain.errors import Invalid, NotFound
from tandem.domain.meetings import PLANNED, Meeting
from tandem.store.schema import AgendaItemRow, MeetingRow, NoteRow


def _lock_meeting(session: Session, meeting_id: str) -> None:
    """Serialise edits of one meeting's lists (positions) on PostgreSQL; SQLite has one writer."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(MeetingRow.id).where(MeetingRow.id == meeting_id).with_for_update())


def _next_position(session: Session, meeting_id: str, kind: ItemKind) -> int:
    highest = session.scalar(
        select(func.max(AgendaItemRow.position)).where(
            AgendaItemRow.meeting_id == meeting_id, AgendaItemRow.kind == kind.value
        )
    )
    return (highest or 0) + 1


def add_item(
    session: Session,
    *,
    meeting_id: str,
    kind: ItemKind,
    text: str,
    url: str | None,
    author_id: str,
    assignee_id: str | None,
    due_date: date | None,
    now: datetime,
) -> AgendaItemRow:
    _lock_meeting(session, meeting_id)
    row = AgendaItemRow(
        id=str(uuid.uuid4()),
        meeting_id=meeting_id,
        kind=kind.value,
        text=text,
        url=url,
        author_id=author_id,
        position=_next_position(session, meeting_id, kind),
        assignee_id=assignee_id,
        due_date=due_date,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    return row


def items(session: Session, meeting_id: str, kind: ItemKind) -> list[AgendaItemRow]:
    query = (
        select(AgendaItemRow)
        .where(AgendaItemRow.meeting_id == meeting_id, AgendaItemRow.kind == kind.value)
        .order_by(AgendaItemRow.position, AgendaItemRow.created_at)
    )
    return list((session.scalars(query)).all())


def item(session: Session, meeting_id: str, kind: ItemKind, item_id: str) -> AgendaItemRow:
    row = session.get(AgendaItemRow, item_id)
    if row is None or row.meeting_id != meeting_id or row.kind != kind.value:
        raise NotFound(f"no such {'agenda topic' if kind is ItemKind.TOPIC else 'action item'}")
    return row


def move(session: Session, row: AgendaItemRow, direction: Direction) -> None:
    """Swap with the neighbour above or below; moving past either end is refused."""
    _lock_meeting(session, row.meeting_id)
    siblings = items(session, row.meeting_id, ItemKind(row.kind))
    index = next(i for i, s in enumerate(siblings) if s.id == row.id)
    target = index - 1 if direction is Direction.UP else index + 1
    if not 0 <= target < len(siblings):
        edge = "top" if direction is Direction.UP else "bottom"
        raise Invalid(f"the item is already at the {edge} of the list", field="direction")
    other = siblings[target]
    # Renumber the list densely, then swap, so ties or gaps can never make a move a no-op.
    for position, sibling in enumerate(siblings, start=1):
        sibling.position = position
    row.position, other.position = other.position, row.position


def delete_item(session: Session, row: AgendaItemRow) -> None:
    session.delete(row)


def rollover(session: Session, meeting: Meeting, now: datetime) -> tuple[str | None, int]:
    """C3: move the open topics and action items of a series meeting to the series' next
    planned meeting, after what is already there and in their order. Returns (target, moved).
    Items already moved do not match again, so repeating this is harmless."""
    if meeting.series_id is None:
        return None, 0
    target = session.scalar(
        select(MeetingRow.id)
        .where(
            MeetingRow.series_id == meeting.series_id,
            MeetingRow.starts_at > meeting.starts_at,
            MeetingRow.status.in_([s.value for s in PLANNED]),
        )
        .order_by(MeetingRow.starts_at)
        .limit(1)
    )
    if target is None:
        return None, 0
    _lock_meeting(session, target)
    moved = 0
    for kind in ItemKind:
        position = _next_position(session, target, kind)
        for row in items(session, meeting.id, kind):
            if row.completed_at is not None:
                continue
            row.meeting_id = target
            row.position = position
            row.rolled_over_from = meeting.id
            row.updated_at = now
            position += 1
            moved += 1
    return target, moved


def purge(session: Session, meeting_id: str) -> None:
    """M6: a deleted meeting's content is removed permanently."""
    session.execute(delete(AgendaItemRow).where(AgendaItemRow.meeting_id == meeting_id))
    session.execute(delete(NoteRow).where(NoteRow.meeting_id == meeting_id))


def add_note(
    session: Session,
    *,
    meeting_id: str,
    author_id: str,
    visibility: NoteVisibility,
    body: str,
    now: datetime,
) -> NoteRow:
    row = NoteRow(
        id=str(uuid.uuid4()),
        meeting_id=meeting_id,
        author_id=author_id,
        visibility=visibility.value,
        body=body,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    return row


def notes(session: Session, meeting_id: str) -> list[NoteRow]:
    query = (
        select(NoteRow)
        .where(NoteRow.meeting_id == meeting_id)
        .order_by(NoteRow.created_at, NoteRow.id)
    )
    return list((session.scalars(query)).all())


def note(session: Session, meeting_id: str, note_id: str) -> NoteRow:
    row = session.get(NoteRow, note_id)
    if row is None or row.meeting_id != meeting_id:
        raise NotFound("no such note")
    return row
