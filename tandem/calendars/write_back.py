"""A change made in Tandem, written into the connected calendar's own copy of the event
(SPEC K3, CalDAV only).

The calendar's object is edited, not replaced: its description, alarms, other attendees and
anything else Tandem does not own stay as they were. What Tandem owns is the name, the time
and rhythm, the end of a series, deleted occurrences (EXDATE), occurrences moved on their own
(RECURRENCE-ID overrides, within the window Tandem speaks for) and a cancellation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vRecur

from tandem.calendars.events import as_list
from tandem.calendars.states import exdates, moment_of
from tandem.domain.times import zone


@dataclass(frozen=True)
class Rewrite:
    summary: str
    duration_minutes: int
    timezone: str
    # A new first start and RRULE when the time or rhythm changed in Tandem; None keeps the
    # calendar's own (an event imported months after it began keeps its history there).
    starts_at: datetime | None = None
    rrule: str | None = None
    ended_at: datetime | None = None  # the series ended in Tandem
    cancelled: bool = False
    exdates: list[datetime] = field(default_factory=list)  # planned starts deleted
    moved: dict[datetime, datetime] = field(default_factory=dict)  # planned start -> new start
    window: tuple[datetime, datetime] | None = None  # whose overrides ``moved`` replaces


def rewritten(calendar: Calendar, uid: str, change: Rewrite, *, now: datetime) -> Calendar:
    """A copy of ``calendar`` with the event ``uid`` changed as Tandem has it."""
    copy = Calendar.from_ical(calendar.to_ical())
    group = [e for e in copy.walk("VEVENT") if str(e.get("UID", "")) == uid]
    master = next(e for e in group if "RECURRENCE-ID" not in e)
    place = zone(change.timezone)
    _set(master, "summary", change.summary)
    if change.starts_at is not None:
        start = change.starts_at.astimezone(place)
        _set(master, "dtstart", start)
        master.pop("DURATION", None)
        _set(master, "dtend", start + timedelta(minutes=change.duration_minutes))
    if change.rrule is not None:
        _set(master, "rrule", vRecur.from_ical(change.rrule.removeprefix("RRULE:")))
    if change.ended_at is not None and master.get("RRULE") is not None:
        rule = vRecur.from_ical(master["RRULE"].to_ical().decode())
        rule.pop("COUNT", None)
        rule["UNTIL"] = [change.ended_at.astimezone(UTC)]
        _set(master, "rrule", rule)
    if change.cancelled:
        _set(master, "status", "CANCELLED")
    if change.exdates:
        known = exdates(master, place) | {d.astimezone(UTC) for d in change.exdates}
        master.pop("EXDATE", None)
        for moment in sorted(known):
            master.add("exdate", moment.astimezone(place))
    if change.window is not None:
        low, high = change.window
        for override in group:
            planned = override.get("RECURRENCE-ID")
            if planned is not None and low <= (moment_of(planned, place) or low) < high:
                copy.subcomponents.remove(override)
        for planned, start in sorted(change.moved.items()):
            copy.add_component(_override(master, planned.astimezone(place), start, change, now))
    for event in [e for e in copy.walk("VEVENT") if str(e.get("UID", "")) == uid]:
        _touch(event, now)
    copy.add_missing_timezones()
    return copy


def _override(
    master: Event, planned: datetime, start: datetime, change: Rewrite, now: datetime
) -> Event:
    event = Event()
    for name in ("UID", "SUMMARY", "ORGANIZER", "LOCATION", "SEQUENCE"):
        if name in master:
            event[name] = master[name]
    for attendee in as_list(master.get("ATTENDEE")):
        event.add("attendee", attendee)
    event.add("recurrence-id", planned)
    local = start.astimezone(planned.tzinfo)
    event.add("dtstart", local)
    event.add("dtend", local + timedelta(minutes=change.duration_minutes))
    _touch(event, now)
    return event


def _set(event: Event, name: str, value: object) -> None:
    event.pop(name.upper(), None)
    event.add(name, value)


def _touch(event: Event, now: datetime) -> None:
    """A newer SEQUENCE: calendar clients take the event as superseding what they had."""
    _set(event, "sequence", int(event.get("SEQUENCE", 0)) + 1)
    _set(event, "dtstamp", now.astimezone(UTC))
    _set(event, "last-modified", now.astimezone(UTC))
