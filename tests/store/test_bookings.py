"""The no-overlap guard in the database itself (SPEC W5, W3, M10), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tandem.domain.errors import Conflict
from tandem.domain.meetings import BookingMode, Meeting, MeetingKind
from tandem.solver import to_minutes
from tandem.store import bookings, meetings
from tandem.store.db import Database
from tandem.store.schema import BookingRow
from tests.support import add_person

START = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


def _meeting(
    kind: MeetingKind, facilitator: str, participants: list[str], offset: int = 0
) -> Meeting:
    return Meeting(
        id=str(uuid.uuid4()),
        kind=kind,
        name="m",
        facilitator_id=facilitator,
        participant_ids=participants,
        starts_at=START + timedelta(minutes=offset),
        duration_minutes=30,
        timezone="UTC",
        created_by=facilitator,
        created_at=START - timedelta(days=1),
        version=1,
    )


async def _book(db: Database, meeting: Meeting, mode: BookingMode = BookingMode.STRICT) -> list:
    def book(session: Session) -> list:
        meetings.write_projection(session, meeting, START)
        return bookings.book(session, meeting, mode)

    return await db.write(book)


async def test_w5_twenty_concurrent_transactions_book_once(db: Database) -> None:
    agent = await add_person(db, "agent")
    coaches = [await add_person(db, "supervisor") for _ in range(20)]
    attempts = [
        _meeting(MeetingKind.ONE_TO_ONE, c.id, [agent.id], offset=i % 3 * 10)
        for i, c in enumerate(coaches)
    ]
    results = await asyncio.gather(*(_book(db, m) for m in attempts), return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    with db.reading() as session:
        booked = bookings.clashes(
            session, [agent.id], START - timedelta(hours=1), START + timedelta(hours=2)
        )
    assert len(booked) == 1


async def test_m10_reassign_accepts_a_one_to_one_clash_only_with_a_reason_never_coaching(
    db: Database,
) -> None:
    coach, other = await add_person(db, "supervisor"), await add_person(db, "supervisor")
    ana, ben, cleo = [await add_person(db, "agent") for _ in range(3)]
    await _book(db, _meeting(MeetingKind.ONE_TO_ONE, other.id, [ana.id]))
    moving = _meeting(MeetingKind.ONE_TO_ONE, coach.id, [ben.id], offset=10)
    await _book(db, moving)
    with pytest.raises(Conflict, match=other.id):  # no reason given: any overlap is refused
        await _book(
            db, moving.model_copy(update={"facilitator_id": other.id}), BookingMode.REASSIGN_FREE
        )
    accepted = await _book(
        db, moving.model_copy(update={"facilitator_id": other.id}), BookingMode.REASSIGN
    )
    assert [c.user_id for c in accepted] == [other.id]

    await _book(db, _meeting(MeetingKind.COACHING, other.id, [cleo.id], offset=120))
    coaching = _meeting(MeetingKind.COACHING, coach.id, [ana.id], offset=130)
    await _book(db, coaching)
    with pytest.raises(Conflict):
        await _book(
            db, coaching.model_copy(update={"facilitator_id": other.id}), BookingMode.REASSIGN
        )


async def test_w3_postgres_refuses_overlapping_coaching_even_without_the_check(
    pg_db: Database,
) -> None:
    """PostgreSQL's exclusion constraint backs the check; SQLite relies on BEGIN IMMEDIATE."""
    coach = await add_person(pg_db, "supervisor")
    first = _meeting(MeetingKind.COACHING, coach.id, [(await add_person(pg_db, "agent")).id])
    second = _meeting(
        MeetingKind.COACHING, coach.id, [(await add_person(pg_db, "agent")).id], offset=15
    )
    await _book(pg_db, first)
    with (
        pytest.raises(IntegrityError, match="bookings_no_coaching_overlap"),
        pg_db.writing() as session,
    ):
        meetings.write_projection(session, second, START)
        session.add(
            BookingRow(
                meeting_id=second.id,
                user_id=coach.id,
                kind="coaching",
                starts_at=second.starts_at,
                ends_at=second.ends_at,
            )
        )


async def test_w2_the_slot_finder_reads_bookings_in_minutes_leaving_out_the_edited_one(
    db: Database,
) -> None:
    agent, coach = await add_person(db, "agent"), await add_person(db, "supervisor")
    first = _meeting(MeetingKind.COACHING, coach.id, [agent.id])
    later = _meeting(MeetingKind.ONE_TO_ONE, coach.id, [agent.id], offset=60)
    for meeting in (first, later):
        await _book(db, meeting)
    start, end = to_minutes(START), START + timedelta(hours=2)
    with db.reading() as session:
        every = bookings.busy(session, [agent.id], START, end)
        both = [agent.id, coach.id]
        others = bookings.busy(session, both, START, end, excluding_meeting=first.id)
    assert sorted(every) == [(agent.id, start, start + 30), (agent.id, start + 60, start + 90)]
    assert sorted(others) == sorted(
        [(agent.id, start + 60, start + 90), (coach.id, start + 60, start + 90)]
    )
