"""Coaching cadence in the store (W8, tandem.domain.cadence) on SQLite and PostgreSQL: the
policy's idempotent upsert, and each agent's last held and next booked coaching session."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tandem.domain.meetings import Meeting, MeetingKind, MeetingStatus
from tandem.store import cadence, meetings
from tandem.store.db import Database

NOW = datetime.now(UTC).replace(microsecond=0)
SEC = timedelta(seconds=1)


def _session(agent: str, starts_at: datetime, status: MeetingStatus, **fields) -> Meeting:
    return Meeting(
        id=str(uuid.uuid4()),
        kind=fields.pop("kind", MeetingKind.COACHING),
        name="Coaching",
        facilitator_id="coach",
        participant_ids=[agent, *fields.pop("others", [])],
        starts_at=starts_at,
        duration_minutes=30,
        timezone="UTC",
        status=status,
        created_by="coach",
        created_at=NOW - timedelta(weeks=10),
        version=1,
        **fields,
    )


async def test_w8_last_held_and_next_booked_sessions(db: Database) -> None:
    day = timedelta(days=1)
    rows = [
        # a: held 3 and 9 days ago (started 10 minutes late), one cancelled since, one missed.
        _session("a", NOW - 9 * day, MeetingStatus.COMPLETED, started_at=NOW - 9 * day),
        _session("a", NOW - 3 * day, MeetingStatus.COMPLETED, started_at=NOW - 3 * day + 600 * SEC),
        _session("a", NOW - 2 * day, MeetingStatus.CANCELLED),
        _session("a", NOW - day, MeetingStatus.MISSED),
        # a: booked in 2 and 5 days; a 1:1 tomorrow is not coaching.
        _session("a", NOW + 5 * day, MeetingStatus.SCHEDULED),
        _session("a", NOW + 2 * day, MeetingStatus.SCHEDULED),
        _session("a", NOW + day, MeetingStatus.SCHEDULED, kind=MeetingKind.ONE_TO_ONE),
        # b: in a session right now (held), with a deleted one booked; and a group session.
        _session("b", NOW - 600 * SEC, MeetingStatus.IN_PROGRESS, started_at=NOW - 300 * SEC),
        _session("b", NOW + day, MeetingStatus.DELETED),
        _session("c", NOW + 3 * day, MeetingStatus.SCHEDULED, others=["b"]),
    ]
    for row in rows:
        await db.write(lambda s, r=row: meetings.write_projection(s, r, NOW))
    found = await db.read(lambda s: cadence.sessions_of(s, ["a", "b", "c", "d"], NOW))
    assert found == {
        "a": (NOW - 3 * day + 600 * SEC, NOW + 2 * day),
        "b": (NOW - 300 * SEC, NOW + 3 * day),
        "c": (None, NOW + 3 * day),
        "d": (None, None),
    }


async def test_w8_a_policy_put_twice_is_one_policy(db: Database) -> None:
    def put(weeks: int, at: datetime, actor: str = "sup"):
        return lambda s: cadence.put_policy(
            s, "north", every_weeks=weeks, duration_minutes=30, due_soon_days=7,
            actor_id=actor, now=at,
        )  # fmt: skip

    first = await db.write(put(2, NOW))
    again = await db.write(put(2, NOW + SEC, "other"))
    assert again == first and first.updated_at == NOW and first.updated_by == "sup"
    changed = await db.write(put(3, NOW + 2 * SEC, "other"))
    assert (changed.every_weeks, changed.updated_at, changed.updated_by) == (
        3,
        NOW + 2 * SEC,
        "other",
    )
    assert await db.read(lambda s: cadence.get_policy(s, "north")) == changed
    assert await db.read(lambda s: cadence.get_policy(s, "south")) is None
