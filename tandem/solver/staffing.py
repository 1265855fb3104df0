"""Service-level impact (W4): staffing difference per 15-minute interval after coaching."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from tandem.solver.availability import Availability
from tandem.solver.erlang import Queue, erlang_c
from tandem.solver.erlang_a import erlang_a
from tandem.solver.intervals import minutes_before
from tandem.solver.minutes import GRID_MINUTES
from tandem.solver.validation import Grid, InvalidQuery

GOOD_MIN_DIFFERENCE = 1.0
"""At least this many heads above forecast in every interval after coaching: ``good``."""
NEUTRAL_MIN_DIFFERENCE = 0.0
"""At or above forecast in every interval after coaching (but not good): ``neutral``."""


class Rating(StrEnum):
    GOOD = "good"
    NEUTRAL = "neutral"
    POOR = "poor"


def rate(score: float) -> Rating:
    if score >= GOOD_MIN_DIFFERENCE:
        return Rating.GOOD
    if score >= NEUTRAL_MIN_DIFFERENCE:
        return Rating.NEUTRAL
    return Rating.POOR


@dataclass(frozen=True, slots=True)
class ServiceGoal:
    """A business unit's service-level goal: ``target_percent`` of contacts answered within
    ``threshold_seconds``; coaching that pushes an interval below ``floor_percent`` is poor."""

    target_percent: float
    threshold_seconds: float
    floor_percent: float | None = None
    patience_seconds: float | None = None
    """Callers' average patience: with it the predictions are Erlang A, without Erlang C."""

    def predict(self, agents: np.ndarray, contacts: np.ndarray, aht: np.ndarray) -> Queue:
        """Predicted SL within the threshold and ASA per interval: the one place that picks
        the model (slot finder and planner alike)."""
        if self.patience_seconds is None:
            return erlang_c(agents, contacts, aht, self.threshold_seconds)
        return erlang_a(agents, contacts, aht, self.threshold_seconds, self.patience_seconds)

    def breached(self, service_level: np.ndarray, contacts: np.ndarray) -> np.ndarray:
        """Where an interval left at ``service_level`` (fractions) with coaching under way is
        unacceptable: below the floor, or overloaded (contacts and a predicted SL of 0 %, where
        Erlang C says nothing more gets worse, so a drop alone would call coaching there free).
        The one rule the slot finder's ``poor`` and the planner's floor charge share."""
        with np.errstate(invalid="ignore"):
            overloaded = (contacts > 0) & (service_level <= 0)
            if self.floor_percent is None:
                return overloaded
            return overloaded | (service_level * 100 < self.floor_percent)


@dataclass(frozen=True, slots=True, eq=False)
class StaffingCurve:
    """Scheduled and forecast headcount of one business unit, one value per 15-minute interval.

    Interval ``i`` is ``[start + 15 i, start + 15 (i + 1))``; ``start`` must be a multiple of 15.
    Pass numpy arrays (or any float sequences of equal length). The staffing input of a query is a
    ``Mapping[str, StaffingCurve]`` keyed by business unit; intervals outside a curve have no data.

    ``contacts`` (offered per interval) and ``aht_seconds``, NaN where unknown, with a ``goal``,
    switch ranking from headcount to predicted service level (W4, ``service_level.py``).
    """

    start: int
    scheduled: Sequence[float] | np.ndarray
    forecast: Sequence[float] | np.ndarray
    contacts: Sequence[float] | np.ndarray | None = None
    aht_seconds: Sequence[float] | np.ndarray | None = None
    goal: ServiceGoal | None = None

    @property
    def has_volume(self) -> bool:
        return self.contacts is not None and self.aht_seconds is not None and self.goal is not None


Staffing = Mapping[str, StaffingCurve]


def check_staffing(staffing: Staffing) -> None:
    for unit, curve in staffing.items():
        if curve.start % GRID_MINUTES:
            raise InvalidQuery(f"staffing for {unit!r} does not start on a 15-minute boundary")
        if len(curve.scheduled) != len(curve.forecast):
            raise InvalidQuery(f"staffing for {unit!r}: scheduled and forecast lengths differ")
        for name in ("contacts", "aht_seconds"):
            values = getattr(curve, name)
            if values is None:
                continue
            if len(values) != len(curve.scheduled):
                raise InvalidQuery(f"staffing for {unit!r}: {name} and scheduled lengths differ")
            if np.any(np.asarray(values, dtype=float) < 0):
                raise InvalidQuery(f"staffing for {unit!r}: {name} must not be negative")
        goal = curve.goal
        if goal is not None:
            if not 0 < goal.target_percent <= 100:
                raise InvalidQuery(f"staffing for {unit!r}: target_percent must be in (0, 100]")
            if goal.threshold_seconds <= 0:
                raise InvalidQuery(f"staffing for {unit!r}: threshold_seconds must be positive")


def on_grid(start: int, values: Sequence[float] | np.ndarray, grid: Grid) -> np.ndarray:
    """Per-interval ``values`` from ``start`` laid on the grid's cells; NaN where there are none."""
    out = np.full(grid.cells, np.nan)
    offset = (grid.origin - start) // GRID_MINUTES
    lo = max(0, -offset)
    hi = min(grid.cells, len(values) - offset)
    if hi > lo:
        out[lo:hi] = np.asarray(values, dtype=float)[lo + offset : hi + offset]
    return out


def staffing_on_grid(curve: StaffingCurve, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Scheduled and forecast per grid cell; NaN where the curve has no value."""
    return on_grid(curve.start, curve.scheduled, grid), on_grid(curve.start, curve.forecast, grid)


def on_queue_minutes(people: Sequence[Availability], grid: Grid) -> np.ndarray:
    """Minutes ``people`` are scheduled on queue in each grid cell, together.

    Coaching over a cell takes those minutes off the phones, so a person on queue for 5 of the
    15 minutes removes a third of a head: exact when activities are not aligned to the grid.
    """
    bounds = grid.origin + GRID_MINUTES * np.arange(grid.cells + 1, dtype=np.int64)
    starts = np.concatenate([av.on_queue[0] for av in people] or [np.empty(0, np.int64)])
    ends = np.concatenate([av.on_queue[1] for av in people] or [np.empty(0, np.int64)])
    return np.diff(minutes_before(starts, ends, bounds))


@dataclass(frozen=True, slots=True)
class UnitStaffing:
    """Per-cell staffing of one business unit with the given attendees taken off queue."""

    business_unit: str
    scheduled: np.ndarray
    forecast: np.ndarray
    removed: np.ndarray
    """Heads taken off queue per cell (on-queue minutes / 15, summed over attendees)."""
    difference: np.ndarray
    """``scheduled - forecast - removed``; NaN where there is no data."""


def unit_staffing(
    attendees: Sequence[Availability],
    units: Sequence[str | None],
    staffing: Staffing,
    grid: Grid,
) -> list[UnitStaffing]:
    """Staffing of every business unit the attendees belong to that has a curve, sorted by name."""
    result = []
    for unit in sorted({u for u in units if u is not None and u in staffing}):
        scheduled, forecast = staffing_on_grid(staffing[unit], grid)
        members = [av for av, member_of in zip(attendees, units, strict=True) if member_of == unit]
        removed = on_queue_minutes(members, grid) / GRID_MINUTES
        result.append(
            UnitStaffing(unit, scheduled, forecast, removed, (scheduled - forecast) - removed)
        )
    return result
