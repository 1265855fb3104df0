"""Calendar invitations (SPEC N6, RFC 5545 / 5546 iTIP): what a mail client adds to a calendar.

One meeting is one event, ``UID:meeting-<id>@tandem``, whose ``SEQUENCE`` is the meeting's
version, so every change supersedes the last; a cancel or delete is ``METHOD:CANCEL`` with the
same UID. A series is one recurring event, ``UID:series-<id>@tandem``, with its RRULE from the
first start in the series' zone (``DTSTART;TZID=…`` plus the VTIMEZONE), so calendars repeat it
across daylight-saving changes exactly as Tandem does; deleted occurrences are EXDATEs.

Only what the meeting's people and guests may all read goes in: name, time, place, who. Never
the description, agenda or notes (a guest's link shows no more, SPEC M9 and C5).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache

from icalendar import Calendar, Event, vCalAddress, vRecur

from tandem.domain.meetings import Meeting, MeetingStatus
from tandem.domain.series import Series
from tandem.domain.times import zone
from tandem.domain.users import User

PRODID = "-//Tandem//Tandem scheduling//EN"
# An open-ended series carries its zone's rules this far ahead; clients look zones up by TZID.
SERIES_ZONE_YEARS = timedelta(days=5 * 366)


class Method(StrEnum):
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


def _address(email: str, name: str | None = None, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    address.params.update(params)
    return address


def _attendees(
    event: Event, people: Iterable[User | None], guests: Iterable[str], cancelled: bool
) -> None:
    # Tandem does not read replies: nobody is asked to RSVP to a mailbox nobody reads.
    status = {} if cancelled else {"PARTSTAT": "NEEDS-ACTION", "RSVP": "FALSE"}
    for user in people:
        if user is not None:
            event.add("attendee", _address(user.email, user.name, ROLE="REQ-PARTICIPANT", **status))
    for email in guests:
        event.add("attendee", _address(email, ROLE="OPT-PARTICIPANT", **status))


def _calendar(events: Iterable[Event], first: datetime, last: datetime, **properties: str) -> str:
    """The VTIMEZONEs cover ``first``..``last`` only: a zone's whole history is kilobytes."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    for name, value in properties.items():
        calendar.add(name, value)
    for event in events:
        calendar.add_component(event)
    calendar.add_missing_timezones(
        first_date=(first - timedelta(days=1)).date(), last_date=(last + timedelta(days=1)).date()
    )
    return calendar.to_ical().decode()


def _event(
    uid: str,
    sequence: int,
    *,
    name: str,
    location: str,
    organizer: User | None,
    cancelled: bool,
    now: datetime,
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", now)
    event.add("summary", name)
    if location:
        event.add("location", location)
    if organizer is not None:
        event.add("organizer", _address(organizer.email, organizer.name))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def _meeting_event(
    meeting: Meeting, users: dict[str, User], *, cancelled: bool, guests: bool, now: datetime
) -> Event:
    place = zone(meeting.timezone)
    event = _event(
        f"meeting-{meeting.id}@tandem",
        meeting.version,
        name=meeting.name,
        location=meeting.location,
        organizer=users.get(meeting.facilitator_id),
        cancelled=cancelled,
        now=now,
    )
    event.add("dtstart", meeting.starts_at.astimezone(place))
    event.add("dtend", meeting.ends_at.astimezone(place))
    participants = (users.get(p) for p in meeting.participant_ids)
    _attendees(event, participants, meeting.guest_emails if guests else (), cancelled)
    return event


def meeting_invitation(
    meeting: Meeting, users: dict[str, User], method: Method, *, now: datetime
) -> str:
    fast = _written_invitation(meeting, users, method, now=now)
    if fast is not None:
        return fast
    cancelled = method is Method.CANCEL
    event = _meeting_event(meeting, users, cancelled=cancelled, guests=True, now=now)
    return _calendar([event], meeting.starts_at, meeting.ends_at, method=method.value)


# -- a meeting's invitation written directly ------------------------------------------------
#
# Every create and change sends one, and building it with icalendar's objects cost ~0.35 ms,
# a third of rendering the notice (issue 13). The text below is exactly what icalendar writes
# for the same meeting (tests/domain/test_invitation_text.py compares the two over names,
# zones, guests and cancels); anything that takes icalendar's rarer escaping paths (a
# backslash, a carriage return, a caret or quote in a name, control characters) goes through
# icalendar itself. Zones' VTIMEZONE blocks come from icalendar too, once per zone and range.

_TEXT_REFUSED = re.compile(r"[\\\r\x00-\x08\x0b-\x1f\x7f]")
_PARAM_REFUSED = re.compile('[\\^"\\\\\x00-\x1f\x7f]')
# A CN is quoted for these (icalendar's rule: RFC 5545's and a space or apostrophe too).
_PARAM_QUOTED = re.compile("[,;:\u2019 ']")


def _text(value: str) -> str:
    return value.replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _param(value: str) -> str:
    return f'"{value}"' if _PARAM_QUOTED.search(value) else value


def _fold(line: str) -> str:
    """icalendar's folding (75 octets, never splitting a character or an escape)."""
    if len(line) < 75 and line.isascii():
        return line
    folded: list[str] = []
    current: list[str] = []
    count = 0
    for char in line:
        size = len(char.encode())
        if current and count + size >= 75:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                folded.append("".join(current))
                current, count = [carried], len(carried.encode())
            else:
                folded.append("".join(current))
                current, count = [], 0
        current.append(char)
        count += size
    if current:
        folded.append("".join(current))
    return "\r\n ".join(folded)


@lru_cache(maxsize=256)
def _writes_utc(zone_name: str) -> bool:
    """Whether icalendar writes this zone's times as UTC (``…Z``, no VTIMEZONE)."""
    event = Event()
    event.add("dtstart", datetime(2030, 1, 1, tzinfo=zone(zone_name)))
    return b"DTSTART:20300101T000000Z" in event.to_ical()


@lru_cache(maxsize=1024)
def _vtimezone(zone_name: str, first: date, last: date) -> str:
    """icalendar's VTIMEZONE for the zone over these days, as text lines ("" if none)."""
    calendar = Calendar()
    event = Event()
    event.add("dtstart", datetime.combine(first, time(12), tzinfo=zone(zone_name)))
    calendar.add_component(event)
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return "".join(c.to_ical().decode() for c in calendar.walk("VTIMEZONE"))


def _written_invitation(
    meeting: Meeting, users: dict[str, User], method: Method, *, now: datetime
) -> str | None:
    """The invitation as icalendar would write it, or None where only icalendar knows how."""
    organizer = users.get(meeting.facilitator_id)
    participants = [u for u in (users.get(p) for p in meeting.participant_ids) if u is not None]
    people = [*participants, *([organizer] if organizer is not None else [])]
    if (
        _TEXT_REFUSED.search(meeting.name)
        or _TEXT_REFUSED.search(meeting.location)
        or _TEXT_REFUSED.search(meeting.id)
        or any(_PARAM_REFUSED.search(u.name) for u in people)
        or now.utcoffset() != timedelta(0)
        or now.tzinfo is not UTC
    ):
        return None
    cancelled = method is Method.CANCEL
    place = zone(meeting.timezone)
    start, end = meeting.starts_at.astimezone(place), meeting.ends_at.astimezone(place)
    if _writes_utc(meeting.timezone):
        timezone_block = ""
        when = [f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{end:%Y%m%dT%H%M%SZ}"]
    else:
        first = (meeting.starts_at - timedelta(days=1)).date()
        last = (meeting.ends_at + timedelta(days=1)).date()
        timezone_block = _vtimezone(meeting.timezone, first, last)
        tzid = meeting.timezone
        when = [
            f"DTSTART;TZID={tzid}:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID={tzid}:{end:%Y%m%dT%H%M%S}",
        ]
    status = "" if cancelled else ";PARTSTAT=NEEDS-ACTION"
    rsvp = "" if cancelled else ";RSVP=FALSE"
    lines = [
        f"SUMMARY:{_text(meeting.name)}",
        *when,
        f"DTSTAMP:{now:%Y%m%dT%H%M%SZ}",
        f"UID:{_text(f'meeting-{meeting.id}@tandem')}",
        f"SEQUENCE:{meeting.version}",
    ]
    for user in participants:
        lines.append(
            f"ATTENDEE;CN={_param(user.name)}{status};ROLE=REQ-PARTICIPANT{rsvp}:"
            f"mailto:{user.email}"
        )
    for email in meeting.guest_emails:
        lines.append(f"ATTENDEE{status};ROLE=OPT-PARTICIPANT{rsvp}:mailto:{email}")
    if meeting.location:
        lines.append(f"LOCATION:{_text(meeting.location)}")
    if organizer is not None:
        lines.append(f"ORGANIZER;CN={_param(organizer.name)}:mailto:{organizer.email}")
    lines.append(f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}")
    event = "".join(f"{_fold(line)}\r\n" for line in lines)
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:{PRODID}\r\nMETHOD:{method.value}\r\n"
        f"{timezone_block}BEGIN:VEVENT\r\n{event}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


GONE = frozenset({MeetingStatus.CANCELLED, MeetingStatus.DELETED})


def personal_feed(
    owner: User, meetings: list[Meeting], users: dict[str, User], *, now: datetime
) -> str:
    """A person's meetings as a calendar to subscribe to (issue 10): the same events as the
    invitations, cancelled ones marked so; guests' addresses stay with the invitations."""
    events = [
        _meeting_event(m, users, cancelled=m.status in GONE, guests=False, now=now)
        for m in meetings
    ]
    first = min((m.starts_at for m in meetings), default=now)
    last = max((m.ends_at for m in meetings), default=now)
    return _calendar(events, first, last, **{"x-wr-calname": f"Tandem: {owner.name}"})


def series_invitation(series: Series, users: dict[str, User], *, now: datetime) -> str:
    """The series as one recurring event, from its current rule (a series announced at creation
    has one)."""
    segment = series.current
    rule = segment.rule()
    place = zone(segment.timezone)
    first = rule.first_start.replace(tzinfo=place)
    event = _event(
        f"series-{series.id}@tandem",
        series.version,
        name=series.name,
        location=series.location,
        organizer=users.get(series.facilitator_id),
        cancelled=False,
        now=now,
    )
    event.add("dtstart", first)
    event.add("dtend", first + timedelta(minutes=segment.duration_minutes))
    event.add("rrule", vRecur.from_ical(rule.rrule_string().removeprefix("RRULE:")))
    skipped = [rule.nth(i - segment.first_index) for i in series.skipped]
    for occurrence in skipped:
        if occurrence is not None:
            event.add("exdate", occurrence.local_start)
    _attendees(event, [users.get(series.participant_id)], (), cancelled=False)
    last = rule.last()
    until = last.starts_at if last else first + SERIES_ZONE_YEARS
    return _calendar([event], first, until, method=Method.REQUEST.value)
