"""The series projection: what the series workflow last wrote, and one active series per pair."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tandem.domain.errors import Conflict
from tandem.domain.series import Series, SeriesStatus
from tandem.store.schema import MeetingRow, SeriesRow


@dataclass(frozen=True)
class SeriesRecord:
    series: Series
    clashes: dict[int, str]
    archived: bool


def pair_key(one: str, other: str) -> str:
    """S2 is about the pair, whichever of the two facilitates."""
    return ":".join(sorted((one, other)))


def _record(row: SeriesRow) -> SeriesRecord:
    clashes = {int(index): why for index, why in row.clashes.items()}
    return SeriesRecord(Series.model_validate(row.state), clashes, row.archived)


def active_pair_conflict(
    session: Session, one: str, other: str, *, besides: str | None = None
) -> Conflict | None:
    """S2: the active series these two people already have (other than ``besides``)."""
    query = select(SeriesRow.id).where(
        SeriesRow.pair_key == pair_key(one, other),
        SeriesRow.status == SeriesStatus.ACTIVE.value,
    )
    if besides is not None:
        query = query.where(SeriesRow.id != besides)
    existing = session.scalar(query)
    if existing is None:
        return None
    return Conflict(
        f"these two people already have an active series ({existing}); end it first (S2)",
        series_id=existing,
        rule="S2",
    )


def write_projection(
    session: Session, series: Series, clashes: dict[int, str], now: datetime
) -> None:
    """Store the workflow's state unless a newer version is there; refuse a second active
    series for the same pair (S2), including one that races this one in."""
    query = select(SeriesRow).where(SeriesRow.id == series.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalar(query)
    if row is not None and row.version >= series.version:
        return
    if series.status is SeriesStatus.ACTIVE and (
        conflict := active_pair_conflict(
            session, series.facilitator_id, series.participant_id, besides=series.id
        )
    ):
        raise conflict
    values = {
        "facilitator_id": series.facilitator_id,
        "participant_id": series.participant_id,
        "pair_key": pair_key(series.facilitator_id, series.participant_id),
        "name": series.name,
        "status": series.status.value,
        "state": series.model_dump(mode="json"),
        "clashes": {str(index): why for index, why in clashes.items()},
        "version": series.version,
        "updated_at": now,
    }
    if row is None:
        session.add(SeriesRow(id=series.id, archived=False, created_at=now, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)
    try:
        session.flush()
    except IntegrityError as error:
        if (
            conflict := active_pair_conflict(
                session, series.facilitator_id, series.participant_id, besides=series.id
            )
        ) is not None:
            raise conflict from error
        raise


def get_series(session: Session, series_id: str) -> SeriesRecord | None:
    row = session.get(SeriesRow, series_id)
    return None if row is None else _record(row)


def list_series(
    session: Session, user_id: str, *, status: SeriesStatus | None, archived: bool
) -> list[SeriesRecord]:
    query = select(SeriesRow).where(
        or_(SeriesRow.facilitator_id == user_id, SeriesRow.participant_id == user_id),
        SeriesRow.archived == archived,
    )
    if status is not None:
        query = query.where(SeriesRow.status == status.value)
    rows = session.scalars(query.order_by(SeriesRow.created_at, SeriesRow.id)).all()
    return [_record(row) for row in rows]


def set_archived(session: Session, series_id: str, archived: bool, now: datetime) -> None:
    session.execute(
        update(SeriesRow).where(SeriesRow.id == series_id).values(archived=archived, updated_at=now)
    )


def meetings_of(session: Session, series_id: str, indexes: list[int]) -> dict[int, MeetingRow]:
    """The meetings materialised for these occurrences (wherever they were moved to)."""
    if not indexes:
        return {}
    rows = session.scalars(
        select(MeetingRow).where(
            MeetingRow.series_id == series_id, MeetingRow.occurrence_index.in_(indexes)
        )
    ).all()
    return {row.occurrence_index: row for row in rows if row.occurrence_index is not None}
