"""Keeping imported events and their calendar in step (SPEC K3, K4): one pass over a connection.

Each link remembers the event as both sides last agreed on it (``EventState``) and the Tandem
side's version then. A pass reads the calendar and, per linked event:

- what changed in the calendar since (name, time or rhythm of the series, one occurrence moved
  or cancelled by a RECURRENCE-ID override, an EXDATE, the event deleted) is applied in Tandem
  through the normal use cases as the calendar's owner, so the guard, notifications and
  history apply; a participant's reply (PARTSTAT) is no change;
- what changed in Tandem since (its version moved on) is written back into the calendar's own
  copy of the event, for CalDAV only and only if that copy is still the one read (If-Match); an
  ICS feed is read only. When both sides changed between two passes, the calendar's change is
  applied first and wins where they touch the same thing;
- a series whose event was split in the calendar ("this and following": the rule now ends and
  a new UID continues it) is disconnected, with the reason, until it is relinked.

A read that fails marks the connection and tells its owner once; the next good read clears it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, StringConstraints
from sqlalchemy.orm import Session

from tandem.calendars import sources
from tandem.calendars.events import IMPORT_WINDOW
from tandem.calendars.fetch import CalendarError
from tandem.calendars.secrets import SealError
from tandem.calendars.states import EventState, Found, states
from tandem.calendars.write_back import Rewrite, rewritten
from tandem.domain.calendars import CalendarConnection, CalendarKind
from tandem.domain.errors import Conflict, DomainError, invalid
from tandem.domain.meetings import PLANNED, MeetingStatus
from tandem.domain.notifications import NotificationKind
from tandem.domain.series import Series, SeriesStatus, rule_for
from tandem.domain.times import zone
from tandem.domain.users import User
from tandem.store import calendars as store
from tandem.store import outbox, users
from tandem.usecases import lifecycle, meetings, series
from tandem.usecases.calendars import guard, own, source_of
from tandem.usecases.context import Services
from tandem.usecases.idempotency import Reply
from tandem.usecases.meeting_access import gate
from tandem.usecases.schemas import MeetingPatch, ReasonBody, RescheduleBody, Strict

REMOVED = "removed from the connected calendar"
MOVED = "moved in the connected calendar"
# How far ahead Tandem follows and writes single occurrences (overrides, EXDATEs).
OCCURRENCES_AHEAD = timedelta(weeks=12)
GONE = {MeetingStatus.CANCELLED.value, MeetingStatus.DELETED.value}
AHEAD = {s.value for s in PLANNED}


async def sync(svc: Services, connection_id: str) -> bool:
    """One pass; False when the connection is gone (its sync workflow then ends)."""
    found = await svc.db.read(lambda session: store.get_connection(session, connection_id))
    if found is None:
        return False
    connection, sealed = found
    owner = await svc.db.read(lambda session: users.get_user(session, connection.owner_id))
    if owner is None:
        return False
    now = datetime.now(UTC)
    try:
        source = source_of(svc, connection, sealed)
        known = sources.Version(*await svc.db.read(lambda s: store.version_of(s, connection.id)))
        read = await sources.read(guard(svc), source, now, now + IMPORT_WINDOW, known)
    except (CalendarError, SealError) as error:
        await _failed(svc, connection, owner, str(error), now)
        return True
    version = (read.version.etag, read.version.last_modified)
    await svc.db.write(
        lambda session: store.record_read(session, connection.id, None, now, version)
    )

    def linked(session: Session) -> tuple[list[store.Link], dict[str, int]]:
        return store.links_of(session, connection.id), store.tandem_versions(session, connection.id)

    links, versions = await svc.db.read(linked)
    writer = source if connection.kind is CalendarKind.CALDAV else None
    links = [
        link
        for link in links
        if link.disconnected is None
        and (
            link.agreed is None
            or read.objects is not None
            or (writer is not None and versions.get(link.uid) != link.agreed_version)
        )
    ]
    if not links:
        return True  # unchanged, or nothing new to agree on or to write back: one request
    if read.objects is None:  # a link to agree on, or a Tandem change to write back
        read = await sources.read(guard(svc), source, now, now + IMPORT_WINDOW)
    # Only the objects of linked events, and recurring ones (one may continue a split series).
    uids = {link.uid for link in links}
    objects = [o for o in read.objects or [] if o.uids & uids or o.recurring]
    try:
        events = states(objects, owner_zone=owner.timezone)
    except CalendarError as error:  # an object that is not iCalendar: as a failed read
        await _failed(svc, connection, owner, str(error), now)
        return True
    one = _Pass(svc, owner, connection.id, writer, events, now)
    for link in links:
        if _as_agreed(link, events.get(link.uid), versions):
            continue  # nothing to load, apply or write
        # One event that cannot follow stops no other; it is tried again at the next pass.
        with contextlib.suppress(DomainError, CalendarError):
            await one.follow(link)
    return True


async def _failed(
    svc: Services, connection: CalendarConnection, owner: User, error: str, now: datetime
) -> None:
    def write(session: Session) -> None:
        if store.record_read(session, connection.id, error, now):
            message = outbox.OutboxMessage(
                dedupe_key=f"calendar/{connection.id}/unreachable/{now.isoformat()}",
                kind=NotificationKind.CALENDAR_UNREACHABLE.value,
                subject=f"Tandem cannot read your calendar {connection.name}",
                body=(
                    f"Tandem could not read {connection.name}: {error}. Your meetings in Tandem "
                    "are unchanged; Tandem keeps trying and follows the calendar again as soon "
                    "as it can be read."
                ),
                user_id=owner.id,
                email=owner.email,
                meeting_id=None,
            )
            outbox.enqueue(session, [message], now)

    await svc.db.write(write)


def _as_agreed(link: store.Link, here: Found | None, versions: dict[str, int]) -> bool:
    """Whether both sides are as they last agreed: the calendar's event and Tandem's version."""
    if here is None or link.agreed is None or versions.get(link.uid) != link.agreed_version:
        return False
    return here.state == EventState.model_validate_json(link.agreed)


def _done(reply: Reply) -> None:
    """A change Tandem refused (a clash) is not agreed on: the next pass tries it again."""
    if reply.status >= 400:
        error = reply.body.get("error", {})
        raise Conflict(error.get("message", "refused"), **error.get("details", {}))


@dataclass
class _Pass:
    svc: Services
    owner: User
    connection_id: str
    writer: sources.Source | None  # None: the calendar is read only
    events: dict[str, Found]
    now: datetime

    async def follow(self, link: store.Link) -> None:
        if link.disconnected is not None:
            return
        agreed = EventState.model_validate_json(link.agreed) if link.agreed else None
        here = self.events.get(link.uid)
        if link.series_id is not None:
            await self._series(link, here, agreed)
        elif link.meeting_id is not None:
            await self._meeting(link, here, agreed)

    async def _agree(self, link: store.Link, state: EventState, version: int) -> None:
        text = state.model_dump_json()
        await self.svc.db.write(
            lambda s: store.agree(s, self.connection_id, link.uid, text, version)
        )

    async def _disconnect(self, link: store.Link, why: str) -> None:
        await self.svc.db.write(lambda s: store.disconnect(s, self.connection_id, link.uid, why))

    def _writes_back(self, link: store.Link, agreed: EventState | None, version: int) -> bool:
        return self.writer is not None and agreed is not None and version != link.agreed_version

    async def _write(self, link: store.Link, here: Found, change: Rewrite) -> EventState:
        """The change written into the calendar's copy: the state it now has there."""
        assert self.writer is not None
        new = rewritten(here.stored.calendar, link.uid, change, now=self.now)
        await sources.write(guard(self.svc), self.writer, here.stored, new)
        again = sources.Stored(new.to_ical(), here.stored.href)
        return states([again], owner_zone=self.owner.timezone)[link.uid].state

    # -- a series -------------------------------------------------------------------------

    async def _series(
        self, link: store.Link, here: Found | None, agreed: EventState | None
    ) -> None:
        assert link.series_id is not None
        s = (await series.load_series(self.svc, self.owner, link.series_id)).series
        before = s.version
        if here is None:
            if s.status is SeriesStatus.ACTIVE:
                _done(await series.end_series(self.svc, self.owner, s.id, REMOVED))
            return
        state, pending = here.state, set[str]()
        if s.status is SeriesStatus.ACTIVE and state != agreed:
            if agreed is not None and (why := _split(state, agreed, self.events, link)):
                await self._disconnect(link, why)
                return
            if state.recurrence is None:
                await self._disconnect(link, f"the calendar event changed: {state.why_not}")
                return
            pending = await self._series_from_calendar(s, state, agreed)
        if self._writes_back(link, agreed, before):
            s = (await series.load_series(self.svc, self.owner, s.id)).series
            state = await self._write(link, here, await self._series_change(s, state))
        s = (await series.load_series(self.svc, self.owner, s.id)).series
        kept = {k: v for k, v in state.overrides.items() if k not in pending}
        await self._agree(link, state.model_copy(update={"overrides": kept}), s.version)

    async def _series_from_calendar(
        self, s: Series, state: EventState, agreed: EventState | None
    ) -> set[str]:
        """The calendar's changes applied; the overrides that could not be yet (the
        occurrence is not booked yet), to try again at a later pass."""
        svc, owner = self.svc, self.owner
        name = state.summary[:200]
        if name != s.name and (agreed is None or state.summary != agreed.summary):
            _done(await series.edit_series(svc, owner, s.id, series.SeriesPatch(name=name)))
        retimed = agreed is None or _rule_key(state) != _rule_key(agreed)
        if retimed and (patch := _rhythm_change(state, s, self.now)) is not None:
            _done(await series.edit_series(svc, owner, s.id, patch))
        ahead = await series.occurrences(
            svc, owner, s.id, start=self.now, end=self.now + OCCURRENCES_AHEAD
        )
        by_start = {o.occurrence.starts_at: o for o in ahead}
        known = set(agreed.exdates) if agreed else set()
        for planned in state.exdates:
            if planned not in known and (o := by_start.get(planned)) and o.status not in GONE:
                reply = await series.delete_occurrence(
                    svc, owner, s.id, o.occurrence.meeting_id, REMOVED
                )
                _done(reply)
        pending = set()
        for key, start in state.overrides.items():
            if agreed is not None and key in agreed.overrides and agreed.overrides[key] == start:
                continue
            planned = datetime.fromisoformat(key)
            o = by_start.get(planned)
            if o is None or (start is not None and o.row is None):
                if planned >= self.now:
                    pending.add(key)
                continue
            if start is None:
                if o.status not in GONE:
                    meeting_id = o.occurrence.meeting_id
                    _done(await series.delete_occurrence(svc, owner, s.id, meeting_id, REMOVED))
            elif o.status in AHEAD and o.starts_at != start:
                body = RescheduleBody(starts_at=start, reason=MOVED)
                meeting_id = o.occurrence.meeting_id
                _done(await lifecycle.reschedule_meeting(svc, owner, meeting_id, body))
        return pending

    async def _series_change(self, s: Series, state: EventState) -> Rewrite:
        segment = s.current
        rule = segment.rule()
        retimed = _rhythm_change(state, s, self.now) is not None
        ahead = await series.occurrences(
            self.svc, self.owner, s.id, start=self.now, end=self.now + OCCURRENCES_AHEAD
        )
        return Rewrite(
            summary=s.name,
            duration_minutes=segment.duration_minutes,
            timezone=segment.timezone,
            starts_at=rule.first_start if retimed else None,
            rrule=rule.rrule_string() if retimed else None,
            ended_at=s.ended_at if s.status is SeriesStatus.ENDED else None,
            exdates=[o.occurrence.starts_at for o in ahead if o.status in GONE],
            moved={
                o.occurrence.starts_at: o.starts_at
                for o in ahead
                if o.row is not None and o.status in AHEAD and o.starts_at != o.occurrence.starts_at
            },
            window=(self.now, self.now + OCCURRENCES_AHEAD),
        )

    # -- a one-off 1:1 --------------------------------------------------------------------

    async def _meeting(
        self, link: store.Link, here: Found | None, agreed: EventState | None
    ) -> None:
        assert link.meeting_id is not None
        svc, owner = self.svc, self.owner
        m = (await meetings.view_meeting(svc, owner, link.meeting_id)).meeting
        before = m.version
        if m.status in PLANNED and here is None:
            _done(await lifecycle.cancel_meeting(svc, owner, m.id, ReasonBody(reason=REMOVED)))
            return
        if here is None or not (m.status in PLANNED or m.status.value in GONE):
            return  # held meetings are history: the calendar no longer changes them
        state = here.state
        if m.status in PLANNED and state != agreed:
            if state.cancelled and (agreed is None or not agreed.cancelled):
                _done(await lifecycle.cancel_meeting(svc, owner, m.id, ReasonBody(reason=REMOVED)))
            else:
                name = state.summary[:200]
                if name != m.name and (agreed is None or state.summary != agreed.summary):
                    _done(await meetings.edit_meeting(svc, owner, m.id, MeetingPatch(name=name)))
                start = state.starts_at
                moved = agreed is None or start != agreed.starts_at
                if start is not None and moved and start != m.starts_at:
                    body = RescheduleBody(starts_at=start, reason=MOVED)
                    _done(await lifecycle.reschedule_meeting(svc, owner, m.id, body))
        if self._writes_back(link, agreed, before):
            m = (await meetings.view_meeting(svc, owner, m.id)).meeting
            retimed = (state.starts_at, state.duration_minutes) != (
                m.starts_at,
                m.duration_minutes,
            )
            change = Rewrite(
                summary=m.name,
                duration_minutes=m.duration_minutes,
                timezone=m.timezone,
                starts_at=m.starts_at if retimed else None,
                cancelled=m.status.value in GONE,
            )
            state = await self._write(link, here, change)
        m = (await meetings.view_meeting(svc, owner, m.id)).meeting
        await self._agree(link, state, m.version)


def _rule_key(state: EventState) -> tuple[object, ...]:
    return (state.starts_at, state.rule, state.duration_minutes, state.timezone)


def _rhythm_change(state: EventState, s: Series, now: datetime) -> series.SeriesPatch | None:
    """The edit that gives the series the calendar event's time, length and rhythm from its
    next occurrence on; None when they already agree."""
    if state.starts_at is None or state.recurrence is None:
        return None
    first = state.starts_at.astimezone(zone(state.timezone))
    upcoming = rule_for(state.recurrence, first, state.timezone).after(now, 1)
    if not upcoming:
        return None
    theirs, segment = upcoming[0].starts_at, s.current
    mine = s.next_after(now, include_skipped=True)
    if (
        mine is not None
        and mine.starts_at == theirs
        and (segment.duration_minutes, segment.recurrence, segment.timezone)
        == (state.duration_minutes, state.recurrence, state.timezone)
    ):
        return None
    return series.SeriesPatch(
        starts_at=theirs,
        duration_minutes=state.duration_minutes,
        timezone=state.timezone,
        recurrence=state.recurrence,
    )


def _split(
    state: EventState, agreed: EventState, events: dict[str, Found], link: store.Link
) -> str | None:
    """Why the series no longer follows the event, when its rule has come to an end since
    ("this and following events" in a calendar app ends it and starts a new event)."""
    if state.until is None or (agreed.until is not None and state.until >= agreed.until):
        return None
    day = state.until.date().isoformat()
    successors = [
        (uid, f.state)
        for uid, f in events.items()
        if uid != link.uid
        and f.state.recurrence is not None
        and f.state.starts_at is not None
        and f.state.starts_at > state.until
        and set(f.state.people) == set(state.people)
    ]
    follow = (
        f'; "{successors[0][1].summary}" (UID {successors[0][0]}) continues it'
        if successors
        else ""
    )
    return (
        f"the event was split in the calendar: it ends on {day}{follow}. Relink the series "
        "to the event that continues it (POST /v1/series/{id}/relink) to follow that one"
    )


# -- relinking (K3) ---------------------------------------------------------------------------


class Relink(Strict):
    calendar_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    uid: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class Relinked(BaseModel):
    calendar_id: str
    uid: str
    series_id: str


async def relink(svc: Services, user: User, series_id: str, body: Relink) -> Relinked:
    """K3: a series disconnected by a split follows the event that continues it. The event
    must be a recurring one of the caller's calendar, not linked to anything else; from the
    next pass, the series takes that event's time and name."""
    visible = await series.load_series(svc, user, series_id)
    gate(series.may_manage_series(user, visible.series), "relink")
    connection, sealed = await own(svc, user, body.calendar_id)
    now = datetime.now(UTC)
    try:
        read = await sources.read(
            guard(svc), source_of(svc, connection, sealed), now, now + IMPORT_WINDOW
        )
    except (CalendarError, SealError) as error:
        raise Conflict(f"the calendar could not be read: {error}") from None
    event = states(read.objects or [], owner_zone=user.timezone).get(body.uid)
    if event is None:
        raise invalid("uid", f"the calendar has no event {body.uid}")
    if event.state.recurrence is None:
        why = event.state.why_not or "it does not repeat"
        raise invalid("uid", f"that event cannot be a series: {why}")
    taken = await svc.db.read(lambda s: store.linked_to(s, connection.id, body.uid))
    if taken is not None and taken.series_id != series_id:
        raise Conflict(
            "that event is already linked to something else in Tandem",
            series_id=taken.series_id,
            meeting_id=taken.meeting_id,
        )
    await svc.db.write(lambda s: store.relink(s, connection.id, series_id, body.uid, now))
    await svc.calendars.sync_now(connection.id)
    return Relinked(calendar_id=connection.id, uid=body.uid, series_id=series_id)


async def links(svc: Services, user: User, connection_id: str) -> list[store.Link]:
    """K3: what was imported from a calendar, and which links sync no longer follows."""
    connection, _ = await own(svc, user, connection_id)
    return await svc.db.read(lambda s: store.links_of(s, connection.id))
