"""Reading a connected calendar's events: an ICS feed (one GET) or a CalDAV collection (one
REPORT for the events that touch a window; RFC 4791 calendar-query), through the guard.

CalDAV is spoken here over the guarded client rather than through the ``caldav`` package: the
guard must see every request and every redirect, and one REPORT is all the import needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree

from icalendar import Calendar

from tandem.calendars.fetch import Answer, CalendarError, Guard, exchange
from tandem.domain.calendars import CalendarKind

DAV, CALDAV = "DAV:", "urn:ietf:params:xml:ns:caldav"


@dataclass(frozen=True)
class Source:
    kind: CalendarKind
    url: str
    username: str | None = None
    password: str | None = None

    @property
    def auth(self) -> tuple[str, str] | None:
        return (self.username or "", self.password or "") if self.password else None


async def read(guard: Guard, source: Source, start: datetime, end: datetime) -> list[Calendar]:
    """The calendar objects holding events in [start, end) (an ICS feed: all of them)."""
    if source.kind is CalendarKind.ICS:
        answer = await exchange(guard, "GET", source.url, auth=source.auth)
        _ok(answer, 200)
        return [_parsed(answer.body)]
    answer = await exchange(
        guard,
        "REPORT",
        source.url,
        auth=source.auth,
        headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
        content=_query(start, end),
    )
    _ok(answer, 207)
    return [_parsed(data.encode()) for data in _calendar_data(answer.body)]


def _ok(answer: Answer, expected: int) -> None:
    if answer.status == expected:
        return
    if answer.status in (401, 403):
        raise CalendarError(
            f"the calendar server refused the username or password ({answer.status})"
        )
    if answer.status == 404:
        raise CalendarError("there is no calendar at this address (404)")
    raise CalendarError(f"the calendar server answered {answer.status} instead of the calendar")


def _parsed(body: bytes) -> Calendar:
    try:
        return Calendar.from_ical(body)
    except ValueError as error:
        raise CalendarError(f"the calendar is not valid iCalendar data ({error})") from None


def _query(start: datetime, end: datetime) -> bytes:
    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<C:calendar-query xmlns:D="{DAV}" xmlns:C="{CALDAV}">'
        "<D:prop><C:calendar-data/></D:prop>"
        '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        f'<C:time-range start="{stamp(start)}" end="{stamp(end)}"/>'
        "</C:comp-filter></C:comp-filter></C:filter>"
        "</C:calendar-query>"
    ).encode()


def _calendar_data(body: bytes) -> list[str]:
    try:
        # expat never fetches external entities and (2.4+) refuses expansion bombs.
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise CalendarError(f"the CalDAV server's answer could not be read ({error})") from None
    return [e.text for e in root.iter(f"{{{CALDAV}}}calendar-data") if e.text]
