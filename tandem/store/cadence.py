"""Coaching cadence (issue 12, W8 in tandem.domain.cadence): the policies, and each agent's last
held and next booked coaching session, read from the meeting projection."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tandem.domain.cadence import CadencePolicy
from tandem.domain.meetings import MeetingKind, MeetingStatus
from tandem.store.schema import CadencePolicyRow, MeetingParticipantRow, MeetingRow
from tandem.store.sql import insert_ignoring_duplicates

HELD = (MeetingStatus.IN_PROGRESS.value, MeetingStatus.COMPLETED.value)
"""A coaching session that took place (W8): it was started."""


def _policy(row: CadencePolicyRow) -> CadencePolicy:
    return CadencePolicy(
        division=row.division,
        every_weeks=row.every_weeks,
        duration_minutes=row.duration_minutes,
        due_soon_days=row.due_soon_days,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def get_policy(session: Session, division: str) -> CadencePolicy | None:
    row = session.get(CadencePolicyRow, division)
    return None if row is None else _policy(row)


def put_policy(
    session: Session,
    division: str,
    *,
    every_weeks: int,
    duration_minutes: int,
    due_soon_days: int,
    actor_id: str,
    now: datetime,
) -> CadencePolicy:
    """Create or replace the division's policy. Idempotent: the same values again change
    nothing (not even ``updated_at``); two racing first PUTs both end with one row."""
    values = {
        "every_weeks": every_weeks,
        "duration_minutes": duration_minutes,
        "due_soon_days": due_soon_days,
    }
    first = {"division": division, **values, "updated_by": actor_id}
    insert_ignoring_duplicates(
        session,
        CadencePolicyRow.__table__,
        [{**first, "created_at": now, "updated_at": now}],
        ["division"],
    )
    table = CadencePolicyRow.__table__
    session.execute(
        update(table)
        .where(
            table.c.division == division,
            (table.c.every_weeks != every_weeks)
            | (table.c.duration_minutes != duration_minutes)
            | (table.c.due_soon_days != due_soon_days),
        )
        .values(**values, updated_by=actor_id, updated_at=now)
    )
    session.expire_all()
    policy = get_policy(session, division)
    assert policy is not None
    return policy


def sessions_of(
    session: Session, agent_ids: Iterable[str], now: datetime
) -> dict[str, tuple[datetime | None, datetime | None]]:
    """Per agent: when their latest held coaching session started, and when their next booked
    (scheduled, not yet started) one starts, if any."""
    ids = list(agent_ids)
    found: dict[str, tuple[datetime | None, datetime | None]] = {i: (None, None) for i in ids}
    if not ids:
        return found
    held_at = func.coalesce(MeetingRow.started_at, MeetingRow.starts_at)
    joined = (
        select(MeetingParticipantRow.user_id)
        .join(MeetingRow, MeetingRow.id == MeetingParticipantRow.meeting_id)
        .where(
            MeetingParticipantRow.user_id.in_(ids),
            MeetingRow.kind == MeetingKind.COACHING.value,
        )
        .group_by(MeetingParticipantRow.user_id)
    )
    last = session.execute(
        joined.add_columns(func.max(held_at)).where(MeetingRow.status.in_(HELD), held_at <= now)
    ).all()
    upcoming = session.execute(
        joined.add_columns(func.min(MeetingRow.starts_at)).where(
            MeetingRow.status == MeetingStatus.SCHEDULED.value, MeetingRow.starts_at >= now
        )
    ).all()
    latest = {user_id: _aware(at) for user_id, at in last}
    soonest = {user_id: _aware(at) for user_id, at in upcoming}
    return {i: (latest.get(i), soonest.get(i)) for i in ids}


def _aware(value: datetime | str | None) -> datetime | None:
    """Aggregates may bypass the column type: SQLite can hand back naive text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
