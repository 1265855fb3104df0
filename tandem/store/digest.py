"""What a weekly digest (SPEC N4) summarises: a person's 1:1s of the week and open actions.

Only lifecycle facts and action items: notes, shared or private, are never read here (C5).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from tandem.domain.content import ItemKind
from tandem.domain.meetings import MeetingKind, MeetingStatus
from tandem.store.schema import AgendaItemRow, MeetingParticipantRow, MeetingRow, UserRow


def zones_in_use(session: Session) -> set[str]:
    return set(session.scalars(select(UserRow.timezone).distinct()).all())


def people_in(session: Session, timezone: str) -> list[UserRow]:
    return list(session.scalars(select(UserRow).where(UserRow.timezone == timezone)).all())


def _their_one_to_ones(user_ids: Iterable[str]) -> tuple[ColumnElement[bool], ...]:
    ids = list(user_ids)
    took_part = select(MeetingParticipantRow.meeting_id).where(
        MeetingParticipantRow.user_id.in_(ids)
    )
    return (
        MeetingRow.kind == MeetingKind.ONE_TO_ONE.value,
        MeetingRow.status != MeetingStatus.DELETED.value,
        or_(MeetingRow.facilitator_id.in_(ids), MeetingRow.id.in_(took_part)),
    )


def week_of(
    session: Session, user_ids: list[str], start: datetime, end: datetime
) -> dict[str, list[MeetingRow]]:
    rows = session.scalars(
        select(MeetingRow)
        .where(
            *_their_one_to_ones(user_ids), MeetingRow.starts_at >= start, MeetingRow.starts_at < end
        )
        .order_by(MeetingRow.starts_at)
    ).all()
    wanted = set(user_ids)
    by_user: dict[str, list[MeetingRow]] = defaultdict(list)
    for row in rows:
        for uid in {row.facilitator_id, *row.participant_ids} & wanted:
            by_user[uid].append(row)
    return by_user


def open_actions(
    session: Session, user_ids: list[str], before: datetime
) -> dict[str, list[tuple[AgendaItemRow, MeetingRow]]]:
    """Action items not yet done in the 1:1s people had or have before ``before``."""
    rows = session.execute(
        select(AgendaItemRow, MeetingRow)
        .join(MeetingRow, MeetingRow.id == AgendaItemRow.meeting_id)
        .where(
            *_their_one_to_ones(user_ids),
            MeetingRow.starts_at < before,
            AgendaItemRow.kind == ItemKind.ACTION.value,
            AgendaItemRow.completed_at.is_(None),
        )
        .order_by(AgendaItemRow.due_date, AgendaItemRow.created_at)
    ).all()
    wanted = set(user_ids)
    by_user: dict[str, list[tuple[AgendaItemRow, MeetingRow]]] = defaultdict(list)
    for item, meeting in rows:
        for uid in {meeting.facilitator_id, *meeting.participant_ids} & wanted:
            by_user[uid].append((item, meeting))
    return by_user
