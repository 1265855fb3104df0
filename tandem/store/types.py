"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, String, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
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


class EpochMinutes(FunctionElement[int]):
    """Whole minutes since the Unix epoch of a date-time column, computed by the database.

    The slot finder works in integer minutes; converting the thousands of instants of a cold
    read (six weeks of shifts, activities and staffing) through datetimes in Python was most of
    its cost (issue 13). Labelled with the column's name.
    """

    type = BigInteger()
    inherit_cache = True


def minutes_of(column: Any) -> Any:
    return EpochMinutes(column).label(column.key)


@compiles(EpochMinutes, "sqlite")
def _sqlite_epoch_minutes(element: EpochMinutes, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as UTC text (2031-03-03 09:00:00.000000), read as whole UTC seconds. unixepoch()
    # (SQLite 3.38) is three times faster than CAST(strftime('%s', ...) AS INTEGER).
    return f"(unixepoch({compiler.process(element.clauses, **kw)}) / 60)"


@compiles(EpochMinutes, "postgresql")
def _postgresql_epoch_minutes(element: EpochMinutes, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column}) / 60) AS BIGINT)"
