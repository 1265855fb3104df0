"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, String, type_coerce
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; SQLite would otherwise hand back naive ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; times must be aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def raw_instant(column: Any) -> Any:
    """A date-time column without its result processing (see :class:`UtcInstants`)."""
    return type_coerce(column, String).label(column.key)


class UtcInstants:
    """Aware UTC datetimes from raw column values, each distinct value converted once.

    This is the slot finder's hot path: six weeks of two people is ~500 rows, and converting
    through the column type (parse, then ``replace(tzinfo=UTC)``) was most of the time. SQLite
    hands back the stored text (``2031-03-03 09:00:00.000000``, UTC), PostgreSQL an aware
    datetime in the session's zone.
    """

    def __init__(self) -> None:
        self.seen: dict[Any, datetime] = {}

    def __call__(self, value: Any) -> datetime:
        found = self.seen.get(value)
        if found is None:
            if isinstance(value, str):
                # Appending the offset is ~6x faster than .replace(tzinfo=UTC) afterwards.
                found = datetime.fromisoformat(value + "+00:00")
            else:
                found = value.astimezone(UTC)
            self.seen[value] = found
        return found
