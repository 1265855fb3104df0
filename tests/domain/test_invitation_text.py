"""N6 (issue 13): a meeting's invitation written directly is exactly what icalendar writes.

``meeting_invitation`` writes the text itself on its common path and leaves the rest to
icalendar; these compare the two over names that need escaping, quoting and folding, zones
with and without daylight saving (and a range across a change), guests, cancels and missing
people, so the fast path can never send a calendar client anything the old one would not.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from tandem.domain import invitations
from tandem.domain.invitations import Method, _calendar, _meeting_event, meeting_invitation
from tandem.domain.meetings import Meeting, MeetingKind
from tandem.domain.users import User

NOW = datetime(2031, 3, 20, 8, 15, 42, 123456, tzinfo=UTC)
NAMES = [
    "Weekly 1:1",
    "Kaffee, Kuchen; und mehr",
    "Zwei\nZeilen",
    "Ünïcödé ✓ " * 9,
    "x" * 74,
    "y" * 75,
    "1:1 \u2013 \u201cquoted\u201d, it\u2019s",
    "a" * 72 + ",b",
]
PEOPLE = ["Sam Sup", "O'Neil, Pat", "Zoë: the lead", "it\u2019s me", "Ann " * 30]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
STARTS = [
    datetime(2031, 3, 30, 0, 30, tzinfo=UTC),  # Berlin changes to summer time that night
    datetime(2031, 7, 1, 9, 0, tzinfo=UTC),
    datetime(2031, 11, 2, 5, 45, tzinfo=UTC),  # New York falls back
]


def user(index: int, name: str) -> User:
    return User(id=f"u{index}", name=name, email=f"person{index}@example.com", timezone="UTC")


def by_icalendar(meeting: Meeting, users: dict[str, User], method: Method) -> str:
    cancelled = method is Method.CANCEL
    event = _meeting_event(meeting, users, cancelled=cancelled, guests=True, now=NOW)
    return _calendar([event], meeting.starts_at, meeting.ends_at, method=method.value)


CASES = list(
    itertools.product(
        range(len(NAMES)), range(len(ZONES)), range(len(STARTS)), [Method.REQUEST, Method.CANCEL]
    )
)


@pytest.mark.parametrize(("name", "zone", "start", "method"), CASES)
def test_n6_the_written_invitation_is_icalendars(
    name: int, zone: int, start: int, method: Method
) -> None:
    facilitator = user(1, PEOPLE[(name + zone) % len(PEOPLE)])
    agent = user(2, PEOPLE[(name + start + 1) % len(PEOPLE)])
    meeting = Meeting(
        id=f"m-{name}-{zone}-{start}",
        kind=MeetingKind.ONE_TO_ONE,
        name=NAMES[name],
        facilitator_id=facilitator.id,
        participant_ids=[agent.id, "gone"],  # someone no longer there is left out
        starts_at=STARTS[start],
        duration_minutes=30 + 15 * start,
        timezone=ZONES[zone],
        location=["", "Room 4, floor 2; east", "Büro"][(name + zone) % 3],
        guest_emails=[] if name % 2 else ["guest@example.org"],
        created_by=facilitator.id,
        created_at=NOW - timedelta(days=1),
        version=1 + name,
    )
    people = {facilitator.id: facilitator, agent.id: agent}
    written = invitations._written_invitation(meeting, people, method, now=NOW)
    assert written is not None
    assert written == by_icalendar(meeting, people, method)
    assert written == meeting_invitation(meeting, people, method, now=NOW)
    Calendar.from_ical(written)  # and it parses


def test_n6_without_an_organizer_and_with_rare_characters_it_is_still_icalendars() -> None:
    agent = user(2, 'Quote "Q" ^caret')
    meeting = Meeting(
        id="m-rare",
        kind=MeetingKind.ONE_TO_ONE,
        name="Back\\slash \\N and\r\nCRLF",
        facilitator_id="nobody",
        participant_ids=[agent.id],
        starts_at=STARTS[1],
        duration_minutes=30,
        timezone="Europe/Berlin",
        created_by="nobody",
        created_at=NOW,
    )
    people = {agent.id: agent}
    assert invitations._written_invitation(meeting, people, Method.REQUEST, now=NOW) is None
    assert meeting_invitation(meeting, people, Method.REQUEST, now=NOW) == by_icalendar(
        meeting, people, Method.REQUEST
    )
    plain = meeting.model_copy(update={"name": "Plain"})
    alone = {}  # neither organizer nor participant known
    assert invitations._written_invitation(plain, alone, Method.REQUEST, now=NOW) == (
        by_icalendar(plain, alone, Method.REQUEST)
    )
