"""Reading a connected calendar's events: an ICS feed (one GET) or a CalDAV collection (one
REPORT for the events that touch a window; RFC 4791 calendar-query), through the guard.

CalDAV is spoken here over the guarded client rather than through the ``caldav`` package: the
guard must see every request and every redirect, and one REPORT is all the import needs."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

import httpx
from icalendar import Calendar

from tandem.calendars.fetch import Answer, CalendarError, Guard, exchange
from tandem.domain.calendars import CalendarKind

DAV, CALDAV = "DAV:", "urn:ietf:params:xml:ns:caldav"
CALSERVER = "http://calendarserver.org/ns/"


@dataclass(frozen=True)
class Source:
    kind: CalendarKind
    url: str
    username: str | None = None
    password: str | None = None

    @property
    def auth(self) -> tuple[str, str] | None:
        return (self.username or "", self.password or "") if self.password else None


@dataclass(frozen=True)
class Version:
    """What the server says identifies what it sent: an ICS feed's ETag and Last-Modified, a
    CalDAV collection's ctag (in ``etag``)."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Stored:
    """One calendar object as the server keeps it: where (CalDAV) and which version of it, so
    that a change written back replaces exactly what was read (If-Match). Parsed when first
    asked: a pass needs the few objects its links came from, and parsing is most of its cost
    (~0.4 ms an event)."""

    data: bytes
    href: str | None = None  # absolute URL of the object; None in an ICS feed
    etag: str | None = None

    @functools.cached_property
    def calendar(self) -> Calendar:
        return _parsed(self.data)

    @functools.cached_property
    def _unfolded(self) -> bytes:
        return self.data.replace(b"\r\n ", b"").replace(b"\r\n\t", b"").replace(b"\n ", b"")

    @functools.cached_property
    def uids(self) -> frozenset[str]:
        """The UIDs of its components, read without parsing the object."""
        found = _UID.findall(self._unfolded)
        return frozenset(u.decode("utf-8", "replace").strip() for u in found)

    @property
    def recurring(self) -> bool:
        """Whether one of its events has an RRULE, read without parsing the object. Only an
        event's own rule counts: every VTIMEZONE with daylight saving has rules too (and a
        VALARM inside an event has none)."""
        text = self._unfolded
        for begin in _BEGIN_VEVENT.finditer(text):
            end = _END_VEVENT.search(text, begin.end())
            if _RRULE.search(text, begin.end(), end.start() if end else len(text)):
                return True
        return False


_UID = re.compile(rb"^UID(?:;[^:\r\n]*)?:([^\r\n]*)", re.MULTILINE | re.IGNORECASE)
_BEGIN_VEVENT = re.compile(rb"^BEGIN:VEVENT\r?$", re.MULTILINE | re.IGNORECASE)
_END_VEVENT = re.compile(rb"^END:VEVENT\r?$", re.MULTILINE | re.IGNORECASE)
_RRULE = re.compile(rb"^RRULE[;:]", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class Read:
    objects: list[Stored] | None  # None: unchanged since the version asked about
    version: Version

    @property
    def calendars(self) -> list[Calendar] | None:
        return None if self.objects is None else [o.calendar for o in self.objects]


async def read(
    guard: Guard, source: Source, start: datetime, end: datetime, known: Version | None = None
) -> Read:
    """The calendar objects holding events in [start, end) (an ICS feed: all of them), or
    none when the calendar is still the ``known`` version: then one small request was made."""
    if source.kind is CalendarKind.ICS:
        headers = {}
        if known and known.etag:
            headers["If-None-Match"] = known.etag
        if known and known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        answer = await exchange(guard, "GET", source.url, auth=source.auth, headers=headers)
        if answer.status == 304 and known is not None:
            return Read(None, known)
        _ok(answer, 200)
        version = Version(answer.headers.get("etag"), _strong_date(answer.headers))
        feed = Stored(answer.body)
        feed.calendar  # noqa: B018 - a feed that is not iCalendar fails the read, now
        return Read([feed], version)
    ctag = await _ctag(guard, source)
    if known is not None and ctag is not None and ctag == known.etag:
        return Read(None, known)
    answer = await _dav(guard, source, "REPORT", "1", _query(start, end))
    return Read(_objects(source.url, answer.body), Version(ctag))


class Superseded(CalendarError):
    """The object changed on the server since it was read: the write was not made."""


async def write(guard: Guard, source: Source, stored: Stored, calendar: Calendar) -> None:
    """Replace a CalDAV object with ``calendar``, only if it is still the version read
    (RFC 4791 5.3.4 with If-Match): a change made there in between is never overwritten."""
    if stored.href is None:
        raise CalendarError("an ICS feed is read only")
    headers = {"Content-Type": "text/calendar; charset=utf-8"}
    if stored.etag:
        headers["If-Match"] = stored.etag
    answer = await exchange(
        guard, "PUT", stored.href, auth=source.auth, headers=headers, content=calendar.to_ical()
    )
    if answer.status == 412:
        raise Superseded("the event changed in the calendar meanwhile")
    if answer.status not in (200, 201, 204):
        _ok(answer, 204)


def _strong_date(headers: httpx.Headers) -> str | None:
    """Last-Modified, when it can tell versions apart: one less than a second before the
    answer's Date could be followed by a change in the same second (RFC 9110 8.8.2.2)."""
    modified, sent = headers.get("last-modified"), headers.get("date")
    if not modified or not sent:
        return None
    try:
        gap = parsedate_to_datetime(sent) - parsedate_to_datetime(modified)
    except (TypeError, ValueError):
        return None
    return modified if gap.total_seconds() >= 1 else None


# The collection's ctag alone (a Depth: 0 PROPFIND): what an unchanged calendar costs.
CTAG_QUERY = (
    f'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="{DAV}" '
    f'xmlns:CS="{CALSERVER}"><D:prop><CS:getctag/></D:prop></D:propfind>'
).encode()


async def _ctag(guard: Guard, source: Source) -> str | None:
    """The collection's ctag (calendarserver.org's getctag, which Radicale, iCloud and most
    servers keep): it changes whenever anything in the calendar does."""
    answer = await _dav(guard, source, "PROPFIND", "0", CTAG_QUERY)
    found = [e.text for e in _xml(answer.body).iter(f"{{{CALSERVER}}}getctag") if e.text]
    return found[0] if found else None


async def _dav(guard: Guard, source: Source, method: str, depth: str, query: bytes) -> Answer:
    """One WebDAV exchange with the collection (PROPFIND, REPORT): its multistatus answer."""
    answer = await exchange(
        guard,
        method,
        source.url,
        auth=source.auth,
        headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8"},
        content=query,
    )
    _ok(answer, 207)
    return answer


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
        "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
        '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        f'<C:time-range start="{stamp(start)}" end="{stamp(end)}"/>'
        "</C:comp-filter></C:comp-filter></C:filter>"
        "</C:calendar-query>"
    ).encode()


def _xml(body: bytes) -> ElementTree.Element:
    try:
        # expat never fetches external entities and (2.4+) refuses expansion bombs.
        return ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise CalendarError(f"the CalDAV server's answer could not be read ({error})") from None


def _objects(base: str, body: bytes) -> list[Stored]:
    found = []
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}"
    for response in _xml(body).iter(f"{{{DAV}}}response"):
        data = response.find(f".//{{{CALDAV}}}calendar-data")
        if data is None or not data.text:
            continue
        href = response.findtext(f"{{{DAV}}}href")
        etag = response.findtext(f".//{{{DAV}}}getetag")
        found.append(Stored(data.text.encode(), _joined(base, origin, href), etag or None))
    return found


def _joined(base: str, origin: str, href: str | None) -> str | None:
    """``urljoin(base, href)``, without its cost for the plain absolute paths servers send."""
    if not href:
        return None
    if href.startswith("/") and not href.startswith("//") and "/." not in href:
        return origin + href
    return urljoin(base, href)
