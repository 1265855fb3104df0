"""The events of a connected calendar that could become Tandem 1:1s (SPEC K2).

A recurring event counts when it repeats weekly, every two or three weeks, or monthly, on one
day, and has an occurrence in the import window; a one-off event when it falls in the window.
Times are read as calendar clients read them: zoned where the event says, floating ones in the
calendar's zone (Google's X-WR-TIMEZONE, else the owner's), recurrences expanded on our side.
What cannot be a 1:1 (all-day, no start, another rhythm, a UID seen twice) is skipped with a
reason, never half-read.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import recurring_ical_events
import x_wr_timezone
from icalendar import Calendar, Event, vRecur

IMPORT_WINDOW = timedelta(weeks=4)
UNITS = {"DAILY": "days", "WEEKLY": "weeks", "MONTHLY": "months", "YEARLY": "years"}
RECURRENCES = {
    ("WEEKLY", 1): "weekly",
    ("WEEKLY", 2): "biweekly",
    ("WEEKLY", 3): "triweekly",
    ("MONTHLY", 1): "monthly",
}


@dataclass(frozen=True)
class CalendarEvent:
    id: str  # stable across reads of the calendar: what an import names
    uid: str
    summary: str
    starts_at: datetime  # its first start in the window
    duration_minutes: int
    timezone: str  # the zone its times are in: a series keeps its local time there
    recurrence: str | None  # None for a one-off event
    others: tuple[str, ...]  # the e-mail addresses of everyone but the calendar's owner


@dataclass(frozen=True)
class Skipped:
    uid: str
    summary: str
    reason: str


def candidate_id(uid: str) -> str:
    return hashlib.sha256(uid.encode()).hexdigest()[:16]


def events(
    calendars: list[Calendar], *, owner_email: str, owner_zone: str, now: datetime
) -> tuple[list[CalendarEvent], list[Skipped]]:
    """The calendar's events in [now, now + IMPORT_WINDOW) that could be 1:1s, and the ones
    that cannot, with why."""
    found: list[CalendarEvent] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for raw in calendars:
        calendar = x_wr_timezone.to_standard(raw)
        zone = ZoneInfo(str(raw.get("X-WR-TIMEZONE") or owner_zone))
        firsts = _first_starts(calendar, zone, now)
        masters: dict[str, list[Event]] = defaultdict(list)
        for event in calendar.walk("VEVENT"):
            if "RECURRENCE-ID" not in event:
                masters[str(event.get("UID", ""))].append(event)
        for uid, same in masters.items():
            summary = str(same[0].get("SUMMARY", "")).strip() or "(no title)"
            if not uid or len(same) > 1 or uid in seen:
                skipped.append(Skipped(uid, summary, "its UID is missing or not unique"))
                continue
            seen.add(uid)
            read = _read(same[0], uid, summary, zone, firsts.get(uid), owner_email)
            if isinstance(read, Skipped):
                skipped.append(read)
            elif read is not None:
                found.append(read)
    return sorted(found, key=lambda e: e.starts_at), skipped


def _could_be_a_1_1(event: Event) -> bool:
    rule = event.get("RRULE")
    return rule is None or rhythm(rule)[0] is not None


def _first_starts(calendar: Calendar, zone: ZoneInfo, now: datetime) -> dict[str, datetime]:
    """Only the events that could be 1:1s are expanded: an endless rule every five minutes
    since years ago (it is skipped anyway) would cost seconds."""
    wanted = {
        str(e.get("UID", ""))
        for e in calendar.walk("VEVENT")
        if "RECURRENCE-ID" not in e and _could_be_a_1_1(e)
    }
    some = Calendar()
    for component in calendar.subcomponents:
        if component.name != "VEVENT" or str(component.get("UID", "")) in wanted:
            some.add_component(component)
    firsts: dict[str, datetime] = {}
    try:
        occurrences = recurring_ical_events.of(some).between(now, now + IMPORT_WINDOW)
    except ValueError:  # a broken rule: the events are reported one by one in _read
        return firsts
    for occurrence in occurrences:
        start = occurrence.get("DTSTART")
        if start is None or not isinstance(start.dt, datetime):
            continue
        moment = start.dt if start.dt.tzinfo else start.dt.replace(tzinfo=zone)
        uid = str(occurrence.get("UID", ""))
        if uid not in firsts or moment < firsts[uid]:
            firsts[uid] = moment
    return firsts


def _read(
    event: Event,
    uid: str,
    summary: str,
    zone: ZoneInfo,
    first: datetime | None,
    owner_email: str,
) -> CalendarEvent | Skipped | None:
    def skip(reason: str) -> Skipped:
        return Skipped(uid, summary, reason)

    start = event.get("DTSTART")
    if start is None:
        return skip("it has no start time")
    if isinstance(start.dt, date) and not isinstance(start.dt, datetime):
        return skip("it is an all-day event")
    recurrence = None
    if (rule := event.get("RRULE")) is not None:
        recurrence, why = rhythm(rule)
        if recurrence is None:
            return skip(why)
    if first is None:
        return None  # nothing of it in the window
    end = event.get("DTEND")
    length = (
        (end.dt - start.dt)
        if end is not None and isinstance(end.dt, datetime)
        else (event.get("DURATION").dt if event.get("DURATION") is not None else timedelta(0))
    )
    minutes = int(length.total_seconds() // 60)
    if minutes <= 0:
        return skip("it has no length")
    tz = start.dt.tzinfo
    timezone = getattr(tz, "key", None) or ("UTC" if tz is not None else zone.key)
    others = people(event) - {owner_email.lower()}
    return CalendarEvent(
        id=candidate_id(uid),
        uid=uid,
        summary=summary,
        starts_at=first,
        duration_minutes=minutes,
        timezone=timezone,
        recurrence=recurrence,
        others=tuple(sorted(others)),
    )


def rhythm(rule: vRecur) -> tuple[str | None, str]:
    """The Tandem recurrence an RRULE is (``weekly`` ...), or None and why it is none."""
    if len(rule.get("BYDAY", [])) > 1:
        return None, "it repeats on several days a week"
    freq, interval = str(rule.get("FREQ", [""])[0]), int(rule.get("INTERVAL", [1])[0])
    found = RECURRENCES.get((freq, interval))
    if found is None:
        every = f" every {interval} {UNITS.get(freq, 'times')}" if interval > 1 else ""
        return None, (
            f"it repeats {freq.lower()}{every}, and Tandem 1:1s are weekly, every two or "
            "three weeks, or monthly"
        )
    return found, ""


def as_list(value: object) -> list[object]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def people(event: Event) -> set[str]:
    """The e-mail addresses of an event's organizer and attendees, lower-case."""
    found = {_address(event.get("ORGANIZER"))} | {
        _address(a) for a in as_list(event.get("ATTENDEE"))
    }
    return found - {""}


def _address(value: object) -> str:
    text = str(value or "").strip()
    return text[7:].lower() if text.lower().startswith("mailto:") else ""
