"""Invitations that land in calendars (SPEC N6, issue 10 item 1): every change mailed to someone
carries an iCalendar part a mail client acts on, read back here with ``icalendar`` and
``recurring-ical-events`` from what a real SMTP server received."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar, Event

from tandem.domain.invitations import series_invitation
from tandem.domain.series import Segment, Series
from tandem.domain.users import User
from tests.support import Stack, at, eventually

GUEST = "visiting.coach@example.org"


def invitation(mail: EmailMessage) -> tuple[str, Calendar]:
    """The ``text/calendar`` part's method parameter and its calendar."""
    [part] = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    return part.get_param("method"), Calendar.from_ical(part.get_content())


def event_of(calendar: Calendar) -> Event:
    [event] = calendar.walk("VEVENT")
    return event


async def mails(stack: Stack, meeting_id: str, address: str, count: int) -> list[EmailMessage]:
    """The first ``count`` mails about a meeting to an address, oldest first."""

    def enough() -> list[EmailMessage] | None:
        found = stack.mailbox.about(meeting_id, address)
        return found[:count] if len(found) >= count else None

    return await eventually(enough)


def _instant(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _addresses(event: Event, name: str) -> list[str]:
    found = event.get(name)
    found = found if isinstance(found, list) else [found] if found else []
    return [str(a).removeprefix("mailto:") for a in found]


async def test_n6_a_1_1_is_invited_moved_and_cancelled_in_the_participants_calendar(
    stack: Stack,
) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    meeting = await stack.one_to_one(
        sup, agent, name="Career chat", location="Room 4", starts_at=at(days=3, hours=1)
    )
    [created] = await mails(stack, meeting["id"], agent.email, 1)
    method, calendar = invitation(created)
    event = event_of(calendar)
    assert method == "REQUEST" and calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == f"meeting-{meeting['id']}@tandem"
    assert _instant(event.start) == datetime.fromisoformat(meeting["starts_at"])
    assert _instant(event.end) == datetime.fromisoformat(meeting["ends_at"])
    assert event["DTSTART"].params["TZID"] == meeting["timezone"]
    assert calendar.walk("VTIMEZONE")  # the zone travels with it
    assert str(event["SUMMARY"]) == "Career chat" and str(event["LOCATION"]) == "Room 4"
    assert _addresses(event, "ORGANIZER") == [sup.email]
    assert _addresses(event, "ATTENDEE") == [agent.email]
    first_sequence = int(event["SEQUENCE"])

    new_start = at(days=4, hours=2)
    moved = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/reschedule",
        json={"starts_at": new_start, "reason": "Team training"},
        headers=sup.auth,
    )
    assert moved.status_code == 200, moved.text
    rescheduled = (await mails(stack, meeting["id"], agent.email, 2))[1]
    method, calendar = invitation(rescheduled)
    event = event_of(calendar)
    assert method == "REQUEST" and str(event["UID"]) == f"meeting-{meeting['id']}@tandem"
    assert int(event["SEQUENCE"]) > first_sequence  # supersedes the first
    assert _instant(event.start) == datetime.fromisoformat(new_start)
    moved_sequence = int(event["SEQUENCE"])

    cancelled = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/cancel", json={"reason": "Off sick"}, headers=sup.auth
    )
    assert cancelled.status_code == 200, cancelled.text
    method, calendar = invitation((await mails(stack, meeting["id"], agent.email, 3))[2])
    event = event_of(calendar)
    assert method == "CANCEL" and calendar["METHOD"] == "CANCEL"
    assert str(event["UID"]) == f"meeting-{meeting['id']}@tandem"
    assert int(event["SEQUENCE"]) > moved_sequence and event["STATUS"] == "CANCELLED"


async def test_n6_a_guest_and_a_new_facilitator_are_invited_and_the_old_one_is_released(
    stack: Stack,
) -> None:
    sup, other, agent = (
        await stack.person("supervisor"),
        await stack.person("supervisor"),
        await stack.person("agent"),
    )
    meeting = await stack.one_to_one(
        sup, agent, description="Performance concerns", starts_at=at(days=5, hours=3)
    )
    invited = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/guests", json={"email": GUEST}, headers=sup.auth
    )
    assert invited.status_code == 200, invited.text
    [to_guest] = await mails(stack, meeting["id"], GUEST, 1)
    method, calendar = invitation(to_guest)
    event = event_of(calendar)
    assert method == "REQUEST" and sorted(_addresses(event, "ATTENDEE")) == sorted(
        [agent.email, GUEST]
    )
    assert "Performance concerns" not in calendar.to_ical().decode()  # no more than their link

    reassigned = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/reassign",
        json={"facilitator_id": other.id, "reason": "Sam is away"},
        headers=sup.auth,
    )
    assert reassigned.status_code == 200, reassigned.text
    [to_new] = await mails(stack, meeting["id"], other.email, 1)
    method, calendar = invitation(to_new)
    assert method == "REQUEST" and _addresses(event_of(calendar), "ORGANIZER") == [other.email]
    [to_old] = await mails(stack, meeting["id"], sup.email, 1)
    method, calendar = invitation(to_old)
    assert (
        method == "CANCEL" and str(event_of(calendar)["UID"]) == f"meeting-{meeting['id']}@tandem"
    )


async def test_n6_a_series_is_one_invitation_whose_rule_gives_tandems_times_across_dst(
    stack: Stack,
) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    series = await stack.series(sup, agent, name="Weekly sync", timezone="Europe/London")
    announced = await eventually(
        lambda: [m for m in stack.mailbox.to(agent.email) if invitation_of_series(m, series["id"])]
    )
    assert len(announced) == 1  # not one per occurrence
    method, calendar = invitation(announced[0])
    event = event_of(calendar)
    assert method == "REQUEST" and "RRULE" in event
    assert event["DTSTART"].params["TZID"] == "Europe/London"

    # 30 weeks from now cross the end of March, when London moves to summer time.
    start = datetime.fromisoformat(series["starts_at"]) - timedelta(minutes=1)
    end = start + timedelta(weeks=30) - timedelta(hours=2)  # an hour earlier in UTC by then
    planned = await stack.http.get(
        f"/v1/series/{series['id']}/occurrences",
        params={"from": start.isoformat(), "to": end.isoformat(), "limit": 100},
        headers=sup.auth,
    )
    assert planned.status_code == 200, planned.text
    tandem = [datetime.fromisoformat(o["starts_at"]) for o in planned.json()["items"]]
    expanded = [_instant(e.start) for e in recurring_ical_events.of(calendar).between(start, end)]
    assert expanded == tandem, (expanded, tandem)
    assert len(tandem) == 30
    local = [e.astimezone(event.start.tzinfo) for e in expanded]
    assert len({t.utcoffset() for t in local}) == 2  # the span crosses a change ...
    assert len({t.time() for t in local}) == 1  # ... and the wall-clock time holds


def invitation_of_series(mail: EmailMessage, series_id: str) -> bool:
    parts = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    return bool(parts) and f"series-{series_id}@tandem" in parts[0].get_content()


def test_n6_deleted_occurrences_of_a_series_are_exdates() -> None:
    first = datetime(2027, 3, 18, 9, 0, tzinfo=UTC)  # Thursdays, London, across 28 March
    people = {
        "f": User(id="f", name="Sam", email="sam@example.org", timezone="Europe/London"),
        "p": User(id="p", name="Ben", email="ben@example.org", timezone="Europe/London"),
    }
    series = Series(
        id="s",
        facilitator_id="f",
        participant_id="p",
        name="Weekly",
        segments=[
            Segment(
                first_index=0,
                starts_at=first,
                duration_minutes=30,
                timezone="Europe/London",
                recurrence="weekly",
            )
        ],
        skipped=[1, 2],
        created_by="f",
        created_at=first - timedelta(days=7),
    )
    calendar = Calendar.from_ical(series_invitation(series, people, now=first))
    starts = [
        e.start.astimezone(ZoneInfo("Europe/London"))
        for e in recurring_ical_events.of(calendar).between(first, first + timedelta(weeks=5))
    ]
    assert [(s.date().isoformat(), s.hour) for s in starts] == [
        ("2027-03-18", 9),
        ("2027-04-08", 9),  # the 25th and 1 April deleted; summer time from the 28th
        ("2027-04-15", 9),
        ("2027-04-22", 9),  # 08:00 UTC by then: inside the five weeks
    ]
