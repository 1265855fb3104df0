"""Time as integer minutes since the Unix epoch (UTC); intervals are half-open ``[start, end)``.

Integers make interval arithmetic exact and cheap; callers convert aware datetimes at the edge.
"""

from datetime import UTC, datetime, timedelta

GRID_MINUTES = 15
"""Slot starts, durations and staffing intervals all live on this grid (W2, W4)."""

HORIZON_MINUTES = 42 * 24 * 60
"""Six weeks: nothing may be booked later than ``now + HORIZON_MINUTES`` (W3)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_minutes(moment: datetime) -> int:
    """Whole minutes since the epoch, rounded down (seconds are dropped, as Genesys does)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime so the instant is unambiguous")
    return (moment - _EPOCH) // timedelta(minutes=1)


def from_minutes(minutes: int) -> datetime:
    """The aware UTC datetime for a minute count."""
    return _EPOCH + timedelta(minutes=minutes)


def ceil_to_grid(minutes: int) -> int:
    return -((-minutes) // GRID_MINUTES) * GRID_MINUTES
