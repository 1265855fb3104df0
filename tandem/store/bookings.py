"""The no-overlap guard (SPEC W5): people's booked time, checked and written atomically.

Atomicity: on SQLite the caller's transaction began with ``BEGIN IMMEDIATE`` (one writer at a
time); on PostgreSQL the rows of every person involved are locked ``FOR UPDATE`` in id order, so
two bookings for the same person serialise while different people book in parallel. Behind
both, PostgreSQL's exclusion constraint refuses overlapping coaching appointments outright.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tandem.domain.errors import Conflict
from tandem.domain.meetings import BookingMode, Clash, Meeting, MeetingKind
from tandem.store.schema import BookingRow, UserRow
from tandem.store.types import minutes_of

EXCLUSION_VIOLATION = "23P01"


_BOOKINGS = BookingRow.__table__
# The guard's statements, built once (issue 13): it runs in every booking's write transaction,
# where building and keying a statement per call cost as much as running it.
_LOCK_PEOPLE = (
    select(UserRow.id)
    .where(UserRow.id.in_(bindparam("ids", expanding=True)))
    .order_by(UserRow.id)
    .with_for_update()
)
_CLASHES = (
    select(
        _BOOKINGS.c.user_id,
        _BOOKINGS.c.meeting_id,
        _BOOKINGS.c.kind,
        _BOOKINGS.c.starts_at,
        _BOOKINGS.c.ends_at,
    )
    .where(
        _BOOKINGS.c.user_id.in_(bindparam("ids", expanding=True)),
        _BOOKINGS.c.starts_at < bindparam("end"),
        _BOOKINGS.c.ends_at > bindparam("start"),
    )
    .order_by(_BOOKINGS.c.starts_at)
)
_CLASHES_EXCLUDING = _CLASHES.where(_BOOKINGS.c.meeting_id != bindparam("meeting"))
_RELEASE = delete(_BOOKINGS).where(_BOOKINGS.c.meeting_id == bindparam("meeting"))
_BOOK = insert(_BOOKINGS)


def _lock_people(session: Session, user_ids: Iterable[str]) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK_PEOPLE, {"ids": sorted(set(user_ids))})


def clashes(
    session: Session,
    user_ids: Iterable[str],
    starts_at: datetime,
    ends_at: datetime,
    *,
    excluding_meeting: str | None = None,
) -> list[Clash]:
    # Plain rows, not ORM objects: the guard runs in every booking's write transaction.
    found: dict[str, Any] = {"ids": list(set(user_ids)), "start": starts_at, "end": ends_at}
    if excluding_meeting is None:
        rows = session.connection().execute(_CLASHES, found).all()
    else:
        rows = (
            session.connection()
            .execute(_CLASHES_EXCLUDING, {**found, "meeting": excluding_meeting})
            .all()
        )
    return [
        Clash(
            user_id=r.user_id,
            meeting_id=r.meeting_id,
            kind=MeetingKind(r.kind),
            starts_at=r.starts_at,
            ends_at=r.ends_at,
        )
        for r in rows
    ]


def _conflict(meeting: Meeting, found: list[Clash], *, reassigning: bool = False) -> Conflict:
    first = found[0]
    # Names the form field that would let it through, for the caller (and the web form).
    remedy = (
        {"remedy": "give a reason to assign them anyway", "field": "reason"} if reassigning else {}
    )
    return Conflict(
        f"{first.user_id} is already booked from {first.starts_at.isoformat()} to "
        f"{first.ends_at.isoformat()} (meeting {first.meeting_id})",
        conflicts=[c.model_dump(mode="json") for c in found],
        **remedy,
    )


def book(session: Session, meeting: Meeting, mode: BookingMode) -> list[Clash]:
    """Make ``meeting``'s bookings match its time and people; returns overlaps it accepted."""
    if mode is BookingMode.KEEP:
        return []
    if mode is BookingMode.RELEASE:
        session.connection().execute(_RELEASE, {"meeting": meeting.id})
        return []
    people = meeting.attendee_ids
    _lock_people(session, people)
    checked = people if mode is BookingMode.STRICT else [meeting.facilitator_id]
    found = clashes(
        session, checked, meeting.starts_at, meeting.ends_at, excluding_meeting=meeting.id
    )
    if mode is BookingMode.REASSIGN:
        refused = [
            c
            for c in found
            if c.kind is MeetingKind.COACHING and meeting.kind is MeetingKind.COACHING
        ]
    else:
        refused = found
    if refused:
        raise _conflict(meeting, refused, reassigning=mode is BookingMode.REASSIGN_FREE)
    connection = session.connection()
    connection.execute(_RELEASE, {"meeting": meeting.id})
    rows = [
        {
            "meeting_id": meeting.id,
            "user_id": user_id,
            "kind": meeting.kind.value,
            "starts_at": meeting.starts_at,
            "ends_at": meeting.ends_at,
        }
        for user_id in people
    ]
    try:
        # A Core insert, executed here (no unit-of-work flush): same statement, far less Python.
        connection.execute(_BOOK, rows)
    except IntegrityError as exc:
        # Only the coaching exclusion constraint can fire here: a booking the check did not see.
        raise Conflict("overlaps another coaching appointment", meeting_id=meeting.id) from exc
    return found


# The slot finder's read, built once: building and keying the statement per call cost as much
# as running it. Parameters: ids (expanding), start, end; meeting for the one left out.
_BUSY = select(
    BookingRow.user_id, minutes_of(BookingRow.starts_at), minutes_of(BookingRow.ends_at)
).where(
    BookingRow.user_id.in_(bindparam("ids", expanding=True)),
    BookingRow.starts_at < bindparam("end"),
    BookingRow.ends_at > bindparam("start"),
)
_BUSY_EXCLUDING = _BUSY.where(BookingRow.meeting_id != bindparam("meeting"))


def busy(
    session: Session,
    user_ids: Iterable[str],
    starts_at: datetime,
    ends_at: datetime,
    *,
    excluding_meeting: str | None = None,
) -> list[tuple[str, int, int]]:
    """(person, start, end) of every booking overlapping the range, in minutes since the epoch
    (UTC): the slot finder's read, which wants integers (it reads weeks of diaries)."""
    found: dict[str, Any] = {"ids": list(set(user_ids)), "start": starts_at, "end": ends_at}
    if excluding_meeting is None:
        rows = session.connection().execute(_BUSY, found)
    else:
        rows = session.connection().execute(
            _BUSY_EXCLUDING, {**found, "meeting": excluding_meeting}
        )
    return rows.all()  # type: ignore[return-value]
