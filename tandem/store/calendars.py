"""Connected calendars (SPEC K1, K2): connections and the events Tandem meetings came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tandem.domain.calendars import CalendarConnection, CalendarKind, ConnectionStatus
from tandem.store.schema import CalendarConnectionRow, CalendarLinkRow, MeetingRow, SeriesRow


def _connection(row: CalendarConnectionRow) -> CalendarConnection:
    return CalendarConnection(
        id=row.id,
        owner_id=row.owner_id,
        kind=CalendarKind(row.kind),
        name=row.name,
        url=row.url,
        username=row.username,
        status=ConnectionStatus(row.status),
        error=row.error,
        last_synced_at=row.last_synced_at,
        created_at=row.created_at,
    )


def add_connection(
    session: Session, connection: CalendarConnection, sealed_password: bytes | None
) -> None:
    session.add(
        CalendarConnectionRow(
            **connection.model_dump(exclude={"kind", "status"}),
            kind=connection.kind.value,
            status=connection.status.value,
            sealed_password=sealed_password,
        )
    )


def get_connection(
    session: Session, connection_id: str
) -> tuple[CalendarConnection, bytes | None] | None:
    """The connection and its sealed password."""
    row = session.get(CalendarConnectionRow, connection_id)
    return None if row is None else (_connection(row), row.sealed_password)


def connections_of(session: Session, owner_id: str) -> list[CalendarConnection]:
    rows = session.scalars(
        select(CalendarConnectionRow)
        .where(CalendarConnectionRow.owner_id == owner_id)
        .order_by(CalendarConnectionRow.created_at, CalendarConnectionRow.id)
    )
    return [_connection(r) for r in rows]


def record_read(
    session: Session,
    connection_id: str,
    error: str | None,
    now: datetime,
    version: tuple[str | None, str | None] | None = None,
) -> bool:
    """The outcome of the latest read of the calendar (and, read whole, the version it was:
    ETag or ctag, Last-Modified); whether it just started failing (it read fine before),
    which its owner is told about once."""
    row = session.get(CalendarConnectionRow, connection_id)
    if row is None:
        return False
    was_ok = row.status == ConnectionStatus.OK.value
    row.status = (ConnectionStatus.ERROR if error else ConnectionStatus.OK).value
    row.error = error
    if error is None:
        row.last_synced_at = now
    if version is not None:
        row.etag, row.last_modified = version
    return was_ok and error is not None


def version_of(session: Session, connection_id: str) -> tuple[str | None, str | None]:
    """The version of the calendar last read whole (see ``record_read``)."""
    row = session.get(CalendarConnectionRow, connection_id)
    return (row.etag, row.last_modified) if row is not None else (None, None)


def delete_connection(session: Session, connection_id: str) -> None:
    session.execute(delete(CalendarLinkRow).where(CalendarLinkRow.calendar_id == connection_id))
    session.execute(delete(CalendarConnectionRow).where(CalendarConnectionRow.id == connection_id))


@dataclass(frozen=True)
class Link:
    uid: str
    series_id: str | None
    meeting_id: str | None
    agreed: str | None = None  # JSON of tandem.calendars.states.EventState
    agreed_version: int | None = None
    disconnected: str | None = None


def _link(r: CalendarLinkRow) -> Link:
    return Link(r.uid, r.series_id, r.meeting_id, r.agreed, r.agreed_version, r.disconnected)


def links_of(session: Session, connection_id: str) -> list[Link]:
    rows = session.scalars(
        select(CalendarLinkRow)
        .where(CalendarLinkRow.calendar_id == connection_id)
        .order_by(CalendarLinkRow.created_at, CalendarLinkRow.uid)
    )
    return [_link(r) for r in rows]


def agree(session: Session, connection_id: str, uid: str, agreed: str, version: int | None) -> None:
    row = session.get(CalendarLinkRow, (connection_id, uid))
    if row is not None:
        row.agreed, row.agreed_version = agreed, version


def disconnect(session: Session, connection_id: str, uid: str, reason: str) -> None:
    row = session.get(CalendarLinkRow, (connection_id, uid))
    if row is not None:
        row.disconnected = reason


def relink(session: Session, connection_id: str, series_id: str, uid: str, now: datetime) -> None:
    """The series follows ``uid`` from now on, and no other event: the calendar's version of it
    is taken as it is at the next pass."""
    session.execute(delete(CalendarLinkRow).where(CalendarLinkRow.series_id == series_id))
    session.flush()
    link(session, connection_id, uid, now, series_id=series_id)


def linked_to(session: Session, connection_id: str, uid: str) -> Link | None:
    row = session.get(CalendarLinkRow, (connection_id, uid))
    return None if row is None else _link(row)


def linked_uids(session: Session, connection_id: str) -> set[str]:
    return set(
        session.scalars(
            select(CalendarLinkRow.uid).where(CalendarLinkRow.calendar_id == connection_id)
        )
    )


def link(
    session: Session,
    connection_id: str,
    uid: str,
    now: datetime,
    *,
    series_id: str | None = None,
    meeting_id: str | None = None,
) -> None:
    session.add(
        CalendarLinkRow(
            calendar_id=connection_id,
            uid=uid,
            series_id=series_id,
            meeting_id=meeting_id,
            created_at=now,
        )
    )


def tandem_versions(session: Session, connection_id: str) -> dict[str, int]:
    """The version each linked series or 1:1 has now, by the UID of its event: set against
    what the link agreed on, it tells which changed in Tandem, in one query however many."""
    link = CalendarLinkRow
    rows = session.execute(
        select(link.uid, func.coalesce(SeriesRow.version, MeetingRow.version))
        .outerjoin(SeriesRow, SeriesRow.id == link.series_id)
        .outerjoin(MeetingRow, MeetingRow.id == link.meeting_id)
        .where(link.calendar_id == connection_id)
    )
    return {uid: version for uid, version in rows if version is not None}
