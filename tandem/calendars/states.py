"""What a connected calendar says about one event (SPEC K3), in the terms sync compares.

An event is its master and its overrides (RECURRENCE-ID: one occurrence moved or cancelled),
read into an ``EventState``. Sync keeps the state both sides last agreed on with the link, so
a pass can tell what changed in the calendar (this state against the agreed one) from what
changed in Tandem (the meeting's or series' version against the agreed one), and never undoes
one side's change with the other's stale copy.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import x_wr_timezone
from dateutil.rrule import rrulestr
from icalendar import Event
from pydantic import BaseModel, ConfigDict

from tandem.calendars.events import as_list, people, rhythm
from tandem.calendars.sources import Stored
from tandem.domain.times import UtcDatetime


class EventState(BaseModel):
    model_config = ConfigDict(frozen=True)

    summary: str
    starts_at: UtcDatetime | None  # the master's DTSTART; None when all-day or missing
    duration_minutes: int
    timezone: str  # the zone of DTSTART, which a series' local time follows
    recurrence: str | None  # the Tandem rhythm (``weekly`` ...); None for a one-off event
    rule: str  # the RRULE as written ("" without one): tells a rhythm Tandem cannot follow
    why_not: str = ""  # why ``rule`` is no Tandem rhythm
    until: UtcDatetime | None = None  # where the rule ends (UNTIL, or COUNT's last); None: never
    cancelled: bool = False  # STATUS:CANCELLED on the master
    exdates: list[UtcDatetime] = []  # occurrences deleted, by their planned start
    # One occurrence changed, by its planned start (RECURRENCE-ID): its new start, or None
    # when that occurrence alone was cancelled. Keys are ISO instants (JSON objects need text).
    overrides: dict[str, UtcDatetime | None] = {}
    people: list[str] = []  # organizer and attendees (their PARTSTAT is no change: K3)


@dataclass(frozen=True)
class Found:
    state: EventState
    stored: Stored  # the object holding it, to write a change back to


def states(objects: list[Stored], *, owner_zone: str) -> dict[str, Found]:
    """Every event of the calendar by UID."""
    found: dict[str, Found] = {}
    for stored in objects:
        for uid, state in _states_in(stored, owner_zone).items():
            found[uid] = Found(state, stored)
    return found


# The states read from an object, by its content and the owner's zone (all they depend on):
# a pass over an unchanged calendar object reads it from here instead of parsing it again
# (~1 ms an object, most of a pass that sees one change among dozens of linked events).
# At most KEPT_STATES states (~2.3 KB each) per worker, least recently read out first; a
# bigger object (a whole ICS feed) is not kept. Shared, never changed: EventState is frozen.
KEPT_STATES = 10_000
_kept: OrderedDict[tuple[bytes, str], dict[str, EventState]] = OrderedDict()
_kept_count = 0
_kept_lock = threading.Lock()


def _states_in(stored: Stored, owner_zone: str) -> dict[str, EventState]:
    global _kept_count
    key = (hashlib.blake2b(stored.data, digest_size=16).digest(), owner_zone)
    with _kept_lock:
        if (known := _kept.get(key)) is not None:
            _kept.move_to_end(key)
            return known
    raw = stored.calendar
    zone = ZoneInfo(str(raw.get("X-WR-TIMEZONE") or owner_zone))
    calendar = x_wr_timezone.to_standard(raw)
    groups: dict[str, list[Event]] = {}
    for event in calendar.walk("VEVENT"):
        groups.setdefault(str(event.get("UID", "")), []).append(event)
    found = {}
    for uid, group in groups.items():
        masters = [e for e in group if "RECURRENCE-ID" not in e]
        if masters:
            found[uid] = state_of(masters[0], group, zone)
    if len(found) > KEPT_STATES // 100:
        return found
    with _kept_lock:
        if key not in _kept:
            _kept[key] = found
            _kept_count += len(found)
        while _kept_count > KEPT_STATES:
            _kept_count -= len(_kept.popitem(last=False)[1])
    return found


def state_of(master: Event, group: list[Event], zone: ZoneInfo) -> EventState:
    start = moment_of(master.get("DTSTART"), zone)
    end = moment_of(master.get("DTEND"), zone)
    if end is not None and start is not None:
        length = end - start
    elif master.get("DURATION") is not None:
        length = master.get("DURATION").dt
    else:
        length = timedelta(0)
    raw_start = master.get("DTSTART")
    tz = getattr(raw_start.dt, "tzinfo", None) if raw_start is not None else None
    recurrence, why, until, text = None, "", None, ""
    if (rule := master.get("RRULE")) is not None:
        text = rule.to_ical().decode()
        recurrence, why = rhythm(rule)
        until = _until(text, start)
    overrides: dict[str, datetime | None] = {}
    for event in group:
        if (planned := moment_of(event.get("RECURRENCE-ID"), zone)) is not None:
            cancelled = str(event.get("STATUS", "")).upper() == "CANCELLED"
            overrides[planned.isoformat()] = (
                None if cancelled else moment_of(event.get("DTSTART"), zone)
            )
    return EventState(
        summary=str(master.get("SUMMARY", "")).strip() or "(no title)",
        starts_at=start,
        duration_minutes=int(length.total_seconds() // 60),
        timezone=getattr(tz, "key", None) or ("UTC" if tz is not None else zone.key),
        recurrence=recurrence,
        rule=text,
        why_not=why,
        until=until,
        cancelled=str(master.get("STATUS", "")).upper() == "CANCELLED",
        exdates=sorted(exdates(master, zone)),
        overrides=dict(sorted(overrides.items())),
        people=sorted(people(master)),
    )


def moment_of(value: object, zone: ZoneInfo) -> datetime | None:
    """A date-time property as a UTC instant (floating ones in the calendar's zone)."""
    moment = getattr(value, "dt", None)
    if not isinstance(moment, datetime):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def exdates(master: Event, zone: ZoneInfo) -> set[datetime]:
    """The planned starts an event's EXDATEs delete, as UTC instants."""
    found = set()
    for line in as_list(master.get("EXDATE")):
        for value in line.dts:
            if (moment := moment_of(value, zone)) is not None:
                found.add(moment)
    return found


# An RRULE with a COUNT this large ends too far ahead to matter: it is taken as endless.
MAX_COUNTED = 2000


def _until(rule: str, start: datetime | None) -> datetime | None:
    """The last start of a rule that ends, or None for an endless one."""
    parts = dict(p.split("=", 1) for p in rule.upper().split(";") if "=" in p)
    if start is None or ("UNTIL" not in parts and "COUNT" not in parts):
        return None
    if "COUNT" in parts and not (parts["COUNT"].isdigit() and int(parts["COUNT"]) <= MAX_COUNTED):
        return None
    try:
        starts = list(rrulestr(rule, dtstart=start.replace(tzinfo=None), ignoretz=True))
    except (ValueError, TypeError):
        return None
    # Counted in UTC: the day it ends is what matters, not its hour across DST.
    return starts[-1].replace(tzinfo=UTC) if starts else start
