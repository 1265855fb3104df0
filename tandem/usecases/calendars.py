"""Connected calendars (SPEC K1, K2): connect a CalDAV or ICS calendar, see which of its
events could be Tandem 1:1s, and import them as series or one-off 1:1s.

A connection is its owner's alone: anyone else gets 404 (A3). The password is sealed at rest
and never returned. Every read of the calendar goes through the SSRF guard and the size cap
(tandem.calendars.fetch); a read that fails marks the connection with the reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from pydantic import Field, SecretStr, StringConstraints
from sqlalchemy.orm import Session

from tandem.calendars import sources
from tandem.calendars.events import IMPORT_WINDOW, CalendarEvent, Skipped, events
from tandem.calendars.fetch import CalendarError, Guard, UnsafeUrl, networks
from tandem.calendars.secrets import SealError, seal, unseal
from tandem.domain.calendars import CalendarConnection, CalendarKind, ConnectionStatus
from tandem.domain.errors import Conflict, invalid, not_found
from tandem.domain.meetings import MeetingKind
from tandem.domain.users import User
from tandem.store import calendars as store
from tandem.store import series as series_store
from tandem.store import users
from tandem.usecases import meetings, series
from tandem.usecases.context import Services
from tandem.usecases.schemas import (
    Choice,
    MeetingCreate,
    NameIn,
    Strict,
)

Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Secret = Annotated[str, StringConstraints(max_length=500)]


class CalendarConnect(Strict):
    kind: Choice[CalendarKind]
    url: Url
    username: Secret | None = None
    password: SecretStr | None = Field(default=None, max_length=500)
    name: NameIn | None = None


class CalendarImport(Strict):
    candidate_ids: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        min_length=1, max_length=200
    )


@dataclass(frozen=True)
class Candidate:
    event: CalendarEvent
    other_user_id: str


@dataclass(frozen=True)
class Candidates:
    items: list[Candidate]
    skipped: list[Skipped]


def guard(svc: Services) -> Guard:
    return Guard(
        allowed=networks(svc.settings.calendar_allowed_networks),
        max_bytes=svc.settings.calendar_max_bytes,
    )


async def connect(svc: Services, user: User, body: CalendarConnect) -> CalendarConnection:
    """K1: the connection, read once to tell at once whether it works (``status``, ``error``).
    An address Tandem will not fetch is refused (422) and nothing is kept."""
    password = body.password.get_secret_value() if body.password else None
    source = sources.Source(body.kind, body.url, body.username, password)
    try:
        await guard(svc).check(body.url)
    except UnsafeUrl as error:
        raise invalid("url", str(error)) from None
    except CalendarError:
        pass  # not resolvable now: kept, and marked with the reason below
    now = datetime.now(UTC)
    error = await _read_error(svc, source, now)
    connection = CalendarConnection(
        id=str(uuid.uuid4()),
        owner_id=user.id,
        kind=body.kind,
        name=body.name or body.url,
        url=body.url,
        username=body.username,
        status=ConnectionStatus.ERROR if error else ConnectionStatus.OK,
        error=error,
        last_synced_at=None if error else now,
        created_at=now,
    )
    sealed = seal(svc.settings, password) if password else None
    await svc.db.write(lambda session: store.add_connection(session, connection, sealed))
    await svc.calendars.start(connection.id)
    return connection


async def _read_error(svc: Services, source: sources.Source, now: datetime) -> str | None:
    try:
        read = await sources.read(guard(svc), source, now, now + IMPORT_WINDOW)
        read.calendars  # noqa: B018 - parsed now: data that is not iCalendar is an error now
    except CalendarError as error:
        return str(error)
    return None


async def list_calendars(svc: Services, user: User) -> list[CalendarConnection]:
    return await svc.db.read(lambda session: store.connections_of(session, user.id))


async def own(
    svc: Services, user: User, connection_id: str
) -> tuple[CalendarConnection, bytes | None]:
    found = await svc.db.read(lambda session: store.get_connection(session, connection_id))
    if found is None or found[0].owner_id != user.id:
        raise not_found("calendar")
    return found


async def get_calendar(svc: Services, user: User, connection_id: str) -> CalendarConnection:
    return (await own(svc, user, connection_id))[0]


async def delete_calendar(svc: Services, user: User, connection_id: str) -> None:
    """The connection goes; what was imported from it stays, no longer linked."""
    await own(svc, user, connection_id)
    await svc.db.write(lambda session: store.delete_connection(session, connection_id))
    await svc.calendars.stop(connection_id)


async def sync_now(svc: Services, user: User, connection_id: str) -> CalendarConnection:
    """K3: read the calendar again now rather than at the next pass."""
    connection, _ = await own(svc, user, connection_id)
    await svc.calendars.sync_now(connection_id)
    return connection


def source_of(
    svc: Services, connection: CalendarConnection, sealed: bytes | None
) -> sources.Source:
    """Where and as whom to read a stored connection (its password unsealed)."""
    password = unseal(svc.settings, sealed) if sealed else None
    return sources.Source(connection.kind, connection.url, connection.username, password)


async def candidates(svc: Services, user: User, connection_id: str) -> Candidates:
    """K2: the calendar's events of the next four weeks that could become 1:1s with exactly one
    other Tandem user, and those that cannot, with why. A failed read marks the connection and
    is a 409 with the reason."""
    connection, sealed = await own(svc, user, connection_id)
    try:
        source = source_of(svc, connection, sealed)
    except SealError as error:
        raise Conflict(str(error), calendar_status=ConnectionStatus.ERROR.value) from None
    now = datetime.now(UTC)
    try:
        read = (await sources.read(guard(svc), source, now, now + IMPORT_WINDOW)).calendars
        found, skipped = events(
            read or [], owner_email=user.email, owner_zone=user.timezone, now=now
        )
    except CalendarError as error:
        why = str(error)
        await svc.db.write(lambda session: store.record_read(session, connection.id, why, now))
        raise Conflict(
            f"the calendar could not be read: {why}",
            calendar_status=ConnectionStatus.ERROR.value,
        ) from None
    await svc.db.write(lambda session: store.record_read(session, connection.id, None, now))

    def read_people(session: Session) -> tuple[dict[str, str], set[str]]:
        emails = {e for event in found for e in event.others}
        return users.ids_by_email(session, emails), store.linked_uids(session, connection.id)

    ids, imported = await svc.db.read(read_people)
    items: list[Candidate] = []
    for event in found:
        reason = None
        if event.uid in imported:
            reason = "already imported"
        elif len(event.others) != 1:
            reason = f"it has {len(event.others)} other people, not one"
        elif event.others[0] not in ids:
            reason = f"{event.others[0]} is not a Tandem user"
        if reason:
            skipped.append(Skipped(event.uid, event.summary, reason))
        else:
            items.append(Candidate(event, ids[event.others[0]]))
    return Candidates(items, skipped)


@dataclass(frozen=True)
class Imported:
    candidate_id: str
    series_id: str | None = None
    meeting_id: str | None = None


async def import_events(
    svc: Services, user: User, connection_id: str, body: CalendarImport
) -> list[Imported]:
    """K2: the chosen candidates as series (recurring) or 1:1s (one-off), facilitated by the
    calendar's owner. Checked as a whole first: an unknown id is a 422, a pair that already has
    a series a 409 naming it (S2), and then nothing is imported. Each import is keyed by the
    event, so a retry after a failure half-way goes on where it stopped."""
    found = {c.event.id: c for c in (await candidates(svc, user, connection_id)).items}
    unknown = [i for i in body.candidate_ids if i not in found]
    if unknown:
        raise invalid("candidate_ids", f"not candidates of this calendar now: {', '.join(unknown)}")
    chosen = [found[i] for i in dict.fromkeys(body.candidate_ids)]

    def s2(session: Session) -> Conflict | None:
        for c in chosen:
            if c.event.recurrence and (
                clash := series_store.active_pair_conflict(session, user.id, c.other_user_id)
            ):
                return clash
        return None

    if (clash := await svc.db.read(s2)) is not None:
        raise clash
    done = []
    for c in chosen:
        done.append(await _import(svc, user, connection_id, c))
    # The first pass agrees on what was imported and follows what the import leaves out
    # (occurrences moved or deleted in the calendar).
    await svc.calendars.sync_now(connection_id)
    return done


async def _import(svc: Services, user: User, connection_id: str, c: Candidate) -> Imported:
    event, key = c.event, f"calendar-{connection_id}-{c.event.id}"
    if event.recurrence:
        body = series.SeriesCreate(
            participant_id=c.other_user_id,
            name=event.summary[:200],
            starts_at=event.starts_at,
            duration_minutes=event.duration_minutes,
            timezone=event.timezone,
            recurrence=event.recurrence,
        )
        reply = await series.create_series(svc, user, body, idempotency_key=key)
    else:
        body = MeetingCreate(
            kind=MeetingKind.ONE_TO_ONE,
            name=event.summary[:200],
            participant_ids=[c.other_user_id],
            starts_at=event.starts_at,
            duration_minutes=event.duration_minutes,
            timezone=event.timezone,
        )
        reply = await meetings.create_meeting(svc, user, body, idempotency_key=key)
    if reply.status >= 400:  # the first attempt's refusal, replayed
        error = reply.body["error"]
        raise Conflict(f"{event.summary}: {error['message']}", **error.get("details", {}))
    made = reply.body.get("id")
    imported = (
        Imported(event.id, series_id=made)
        if event.recurrence
        else Imported(event.id, meeting_id=made)
    )

    def link(session: Session) -> None:
        if event.uid not in store.linked_uids(session, connection_id):
            store.link(
                session,
                connection_id,
                event.uid,
                datetime.now(UTC),
                series_id=imported.series_id,
                meeting_id=imported.meeting_id,
            )

    await svc.db.write(link)
    return imported
