"""Service-level impact of a coaching slot (W4 with volume data): predicted SL per interval.

Where a business unit's staffing carries offered contacts, handle times and a goal, each 15-minute
cell gets its predicted service level and ASA (Erlang C, ``erlang.py``) with the scheduled
on-queue agents, and again with the attendees' on-queue minutes taken off. A start is scored by
the **volume-weighted SL drop** over its cells (percentage points, contacts as weights: a drop at
10:00 Monday with 60 contacts counts six times one at 15:00 with 10) and ranked by it, then
earliest. Only cells where an attendee is on queue are scored: elsewhere coaching changes
nothing. Ratings:

* ``poor``: the session leaves an interval below the unit's floor, or overloaded (SL 0 % with
  contacts; :meth:`ServiceGoal.breached`). Such starts rank after all others, and
  ``respect_floor`` leaves them out;
* ``good``: every scored interval stays at or above the target after coaching;
* ``neutral``: otherwise (below target somewhere, but not breached).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tandem.solver.minutes import GRID_MINUTES
from tandem.solver.staffing import Rating, ServiceGoal, Staffing, UnitStaffing, on_grid
from tandem.solver.validation import Grid

_DASH = "\u2013"  # an en dash between the ends of an interval, as typeset times are


@dataclass(frozen=True, slots=True)
class UnitServiceLevel:
    """Per-cell predicted service of one business unit; NaN where there is no volume data."""

    business_unit: str
    goal: ServiceGoal
    contacts: np.ndarray
    agents_before: np.ndarray
    agents_after: np.ndarray
    sl_before: np.ndarray
    """Fractions in [0, 1]."""
    sl_after: np.ndarray
    asa_before: np.ndarray
    """Seconds; inf where the agents cannot keep up."""
    asa_after: np.ndarray
    breached: np.ndarray
    """Scored cells left below the floor or overloaded (:meth:`ServiceGoal.breached`)."""


def unit_service_levels(
    units: Sequence[UnitStaffing], staffing: Staffing, grid: Grid, relevant: np.ndarray
) -> list[UnitServiceLevel]:
    """The service level of every unit in ``units`` whose curve has volume data and a goal.

    Predicted only in ``relevant`` cells (those some feasible start covers) where the attendees
    are on queue: elsewhere coaching changes nothing, so the cell is not scored (NaN). That
    keeps the Erlang pass to the few hundred cells that can matter out of six weeks' 4,000.
    """
    result = []
    for unit in units:
        curve = staffing[unit.business_unit]
        if not curve.has_volume or curve.goal is None:
            continue
        assert curve.contacts is not None and curve.aht_seconds is not None
        contacts = on_grid(curve.start, curve.contacts, grid)
        aht = on_grid(curve.start, curve.aht_seconds, grid)
        known = ~np.isnan(contacts) & ~np.isnan(aht) & ~np.isnan(unit.scheduled)
        before = np.where(known, unit.scheduled, np.nan)
        after = before - unit.removed
        cells = np.flatnonzero(known & relevant & (unit.removed > 0))
        # Before and after in one Erlang pass.
        queue = curve.goal.predict(
            np.concatenate((before[cells], after[cells])),
            np.tile(contacts[cells], 2),
            np.tile(aht[cells], 2),
        )
        sl_before, asa_before = np.full(grid.cells, np.nan), np.full(grid.cells, np.nan)
        sl_after, asa_after = sl_before.copy(), asa_before.copy()
        m = cells.size
        sl_before[cells], asa_before[cells] = queue.service_level[:m], queue.asa[:m]
        sl_after[cells], asa_after[cells] = queue.service_level[m:], queue.asa[m:]
        result.append(
            UnitServiceLevel(
                unit.business_unit,
                curve.goal,
                np.where(known, contacts, np.nan),
                before,
                after,
                sl_before,
                sl_after,
                asa_before,
                asa_after,
                ~np.isnan(sl_after) & curve.goal.breached(sl_after, contacts),
            )
        )
    return result


@dataclass(frozen=True, slots=True)
class StartScores:
    drop: np.ndarray
    """Volume-weighted SL drop per start, percentage points (0 where no cell has volume)."""
    weighted: np.ndarray
    """Sum of contacts x drop per start (contact-points)."""
    below_floor: np.ndarray
    """The session leaves some interval below its unit's floor or overloaded."""


def score_starts(
    levels: Sequence[UnitServiceLevel], duration_cells: int, n_starts: int
) -> StartScores:
    weighted = np.zeros(n_starts)
    volume = np.zeros(n_starts)
    below_floor = np.zeros(n_starts, dtype=bool)
    for level in levels:
        known = ~np.isnan(level.sl_after)
        weight = np.where(known, level.contacts, 0.0)
        points = np.where(known, weight * (level.sl_before - level.sl_after) * 100, 0.0)
        for k in range(duration_cells):
            weighted += points[k : k + n_starts]
            volume += weight[k : k + n_starts]
            below_floor |= level.breached[k : k + n_starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        drop = np.where(volume > 0, weighted / volume, 0.0)
    return StartScores(drop, weighted, below_floor)


@dataclass(frozen=True, slots=True)
class ServiceLevelDetail:
    """The interval of a slot that coaching hurts most (largest SL drop, then lowest SL after)."""

    interval_start: int
    business_unit: str
    before_percent: float
    after_percent: float
    target_percent: float
    floor_percent: float | None
    contacts: float
    before_asa_seconds: float
    after_asa_seconds: float


@dataclass(frozen=True, slots=True)
class SlotService:
    worst: ServiceLevelDetail | None
    rating: Rating
    reasons: list[str]


def slot_service(
    levels: Sequence[UnitServiceLevel], index: int, duration_cells: int, grid: Grid, drop: float
) -> SlotService:
    """The worst interval, rating and reasons of the slot starting at cell ``index``."""
    cells = range(index, index + duration_cells)
    # Plain floats: numpy scalars would cost more than the search for ten slots.
    scored = []
    for u, level in enumerate(levels):
        before = level.sl_before[index : index + duration_cells].tolist()
        after = level.sl_after[index : index + duration_cells].tolist()
        for cell, b, a in zip(cells, before, after, strict=True):
            if not math.isnan(a):
                scored.append((a - b, a, cell, u))
    many = len(levels) > 1
    if not scored:
        reason = "No contact volume for the slot's intervals: rated neutral and ranked by earliest"
        return SlotService(None, Rating.NEUTRAL, [reason])
    _, _, cell, u = min(scored)
    level = levels[u]
    goal = level.goal
    worst = ServiceLevelDetail(
        interval_start=grid.origin + cell * GRID_MINUTES,
        business_unit=level.business_unit,
        before_percent=float(level.sl_before[cell]) * 100,
        after_percent=float(level.sl_after[cell]) * 100,
        target_percent=goal.target_percent,
        floor_percent=goal.floor_percent,
        contacts=float(level.contacts[cell]),
        before_asa_seconds=float(level.asa_before[cell]),
        after_asa_seconds=float(level.asa_after[cell]),
    )
    reasons = [_change_sentence(worst, many)]
    if drop > 0:
        reasons.append(f"Volume-weighted SL drop over the slot: {drop:.1f} points")
    pushed = [(a, cell, u) for _, a, cell, u in scored if levels[u].breached[cell]]
    if pushed:
        a, cell, u = min(pushed)
        where = f" in {levels[u].business_unit}" if many else ""
        rating = Rating.POOR
        floor = levels[u].goal.floor_percent
        limit = "below the " + f"{floor:g} % floor" if floor is not None else "overloaded"
        if floor is not None and a <= 0:
            limit = f"overloaded (below the {floor:g} % floor)"
        reasons.append(f"Poor: SL {a * 100:.0f} % at {_interval(grid, cell)}{where} is {limit}")
    elif all(a * 100 >= levels[u].goal.target_percent for _, a, _, u in scored):
        rating = Rating.GOOD
        reasons.append("Good: SL stays at or above target in every interval")
    else:
        rating = Rating.NEUTRAL
        reasons.append("Neutral: SL is below target in some interval, but not below a floor")
    for _, _, cell, u in sorted(scored, key=lambda s: s[2]):
        level = levels[u]
        if level.contacts[cell] > 0 and level.agents_after[cell] <= 0:
            reasons.append(
                f"No agent left on queue at {_interval(grid, cell)} for "
                f"{level.contacts[cell]:g} contacts: SL 0 %"
            )
            break
    missing = duration_cells * len(levels) - len(scored)
    if missing:
        reasons.append(
            f"{missing} of the slot's intervals not scored (no volume, or no attendee on queue)"
        )
    return SlotService(worst, rating, reasons)


def _interval(grid: Grid, cell: int) -> str:
    return _quarter(grid.origin + cell * GRID_MINUTES)


def _quarter(minute: int) -> str:
    """``10:15-10:30 UTC`` (with an en dash) for the 15-minute interval from ``minute``."""
    start = minute % (24 * 60)
    end = (start + GRID_MINUTES) % (24 * 60)
    return f"{start // 60:02d}:{start % 60:02d}{_DASH}{end // 60:02d}:{end % 60:02d} UTC"


def _percent_pair(before: float, after: float) -> tuple[str, str]:
    # Whole percents read best; one decimal only where whole ones would hide the change.
    digits = 0 if round(before) != round(after) or before == after else 1
    return f"{before:.{digits}f}", f"{after:.{digits}f}"


def _change_sentence(worst: ServiceLevelDetail, many_units: bool) -> str:
    before, after = _percent_pair(worst.before_percent, worst.after_percent)
    where = f" in {worst.business_unit}" if many_units else ""
    return (
        f"SL {before} % → {after} % at {_quarter(worst.interval_start)}{where} "
        f"(target {worst.target_percent:g} %)"
    )
