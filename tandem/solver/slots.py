"""The slot finder (W2-W4): free common starts on the 15-minute grid, ranked by staffing impact.

Formulation: per-person boolean start masks over the grid (numpy), AND-ed together, then a
vectorised sliding minimum/sum of the per-interval staffing difference. A CP-SAT model would
return the same top K a few hundred times slower (see ``/work/shared/notes/solver.md`` §3a).
"""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from tandem.solver.availability import FreeBusy, flatten, start_mask
from tandem.solver.minutes import GRID_MINUTES
from tandem.solver.schedule import Span
from tandem.solver.service_level import (
    ServiceLevelDetail,
    UnitServiceLevel,
    score_starts,
    slot_service,
    unit_service_levels,
)
from tandem.solver.slot_query import SlotQuery, validate
from tandem.solver.staffing import (
    GOOD_MIN_DIFFERENCE,
    Rating,
    UnitStaffing,
    rate,
    unit_staffing,
)
from tandem.solver.validation import Grid, clip_window, grid_for


@dataclass(frozen=True, slots=True)
class StaffingDetail:
    """The interval that decided a slot's score (its lowest staffing difference)."""

    interval_start: int
    business_unit: str
    scheduled: float
    forecast: float
    removed: float
    """Heads taken off queue by the session in that interval."""
    difference: float
    """``scheduled - forecast - removed``."""


@dataclass(frozen=True, slots=True)
class Slot:
    start: int
    end: int
    score: float
    """Lowest staffing difference after coaching over the slot's intervals (0 without data)."""
    total: float
    """Sum of those differences: the first tie-break, higher is better."""
    rating: Rating
    worst: StaffingDetail | None
    """None when there is no forecast for any attendee's business unit over the slot."""
    reasons: list[str]
    service_level: ServiceLevelDetail | None = None
    """With volume data: the interval coaching hurts most (then ``score`` is minus
    :attr:`sl_drop` and ``rating`` and ``reasons`` speak of service level)."""
    sl_drop: float | None = None
    """Volume-weighted SL drop over the slot in percentage points; None without volume data."""


@dataclass(frozen=True, slots=True)
class SlotResult:
    slots: list[Slot]
    """Best first, distinct starts, at most ``query.limit``; slots may overlap each other."""
    schedules: dict[str, FreeBusy]
    """Free/busy over :attr:`window` per person id, attendees first, then the facilitator."""
    window: Span
    """The query window clipped to ``[now, now + 6 weeks]``."""
    feasible_count: int
    """How many starts break no hard rule (the ranked list is the best ``limit`` of them)."""
    below_floor_left_out: int = 0
    """With ``respect_floor``: feasible starts left out for pushing SL below the floor."""


def find_slots(query: SlotQuery) -> SlotResult:
    """The best ``query.limit`` distinct starts that break no hard rule (W3), ranked by service
    level impact (W4), with every person's free/busy. Raises InvalidQuery for a malformed query;
    an empty ``slots`` list simply means no free time."""
    duration_cells = validate(query)
    window = clip_window(query.window, query.now)
    grid = grid_for(window)
    people = [flatten(p) for p in query.people]
    n_starts = grid.start_count(duration_cells)
    feasible = start_mask(people, grid, duration_cells)
    candidates = np.flatnonzero(feasible)
    units = unit_staffing(
        people[:-1], [p.business_unit for p in query.attendees], query.staffing or {}, grid
    )
    feasible_count = int(candidates.size)
    left_out = 0
    covered = np.zeros(grid.cells, dtype=bool)
    for k in range(duration_cells):
        covered[k : k + n_starts] |= feasible
    levels = unit_service_levels(units, query.staffing or {}, grid, covered)
    if levels:
        # W4 with volume data: by volume-weighted SL drop, then earliest.
        scores = score_starts(levels, duration_cells, n_starts)
        if query.respect_floor:
            kept = candidates[~scores.below_floor[candidates]]
            left_out, candidates = candidates.size - kept.size, kept
        # Breaching starts go last whatever their drop: an overloaded interval "loses" nothing.
        order = np.lexsort((candidates, scores.drop[candidates], scores.below_floor[candidates]))[
            : query.limit
        ]
        slots = [
            _sl_slot(int(i), grid, duration_cells, units, levels, float(scores.drop[i]))
            for i in candidates[order]
        ]
    else:
        score, total = _score_starts(units, duration_cells, n_starts)
        order = np.lexsort((candidates, -total[candidates], -score[candidates]))[: query.limit]
        slots = [
            _slot(int(i), grid, duration_cells, float(score[i]), float(total[i]), units)
            for i in candidates[order]
        ]
    return SlotResult(
        slots=slots,
        schedules={
            av.person_id: FreeBusy(av.person_id, av, window.start, window.end) for av in people
        },
        window=window,
        feasible_count=feasible_count,
        below_floor_left_out=left_out,
    )


def _sl_slot(
    index: int,
    grid: Grid,
    duration_cells: int,
    units: list[UnitStaffing],
    levels: list[UnitServiceLevel],
    drop: float,
) -> Slot:
    """A slot scored by service level; its headcount detail is kept for the record."""
    by_heads = _slot(index, grid, duration_cells, 0.0, 0.0, units)
    service = slot_service(levels, index, duration_cells, grid, drop)
    return dataclasses.replace(
        by_heads,
        score=-drop,
        total=-drop,
        rating=service.rating,
        reasons=service.reasons,
        service_level=service.worst,
        sl_drop=drop,
    )


def _score_starts(
    units: list[UnitStaffing], duration_cells: int, n_starts: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per start: the minimum and the sum of the staffing difference over (unit, cell) pairs
    that have data; both 0 where none has, so such slots rank earliest first."""
    score = np.full(n_starts, np.inf)
    total = np.zeros(n_starts)
    with_data = np.zeros(n_starts, dtype=bool)
    for unit in units:
        known = ~np.isnan(unit.difference)
        filled = np.where(known, unit.difference, 0.0)
        unit_total = np.zeros(n_starts)
        for k in range(duration_cells):
            score = np.fmin(score, unit.difference[k : k + n_starts])
            unit_total = unit_total + filled[k : k + n_starts]
            with_data |= known[k : k + n_starts]
        total = total + unit_total
    score[~with_data] = 0.0
    return score, total


def _slot(
    index: int,
    grid: Grid,
    duration_cells: int,
    score: float,
    total: float,
    units: list[UnitStaffing],
) -> Slot:
    start = grid.origin + index * GRID_MINUTES
    end = start + duration_cells * GRID_MINUTES
    rating = rate(score)
    # (difference, cell, unit) of every scored interval; the smallest is the worst, earliest
    # first on ties. Plain floats: numpy scalars would cost more than the search for ten slots.
    known = [
        (difference, index + offset, u)
        for u, unit in enumerate(units)
        for offset, difference in enumerate(
            unit.difference[index : index + duration_cells].tolist()
        )
        if not math.isnan(difference)
    ]
    if not known:
        reason = (
            "No staffing forecast for the attendees' business unit: "
            "rated neutral and ranked by earliest start"
        )
        return Slot(start, end, score, total, rating, None, [reason])
    difference, cell, u = min(known)
    unit = units[u]
    worst = StaffingDetail(
        interval_start=grid.origin + cell * GRID_MINUTES,
        business_unit=unit.business_unit,
        scheduled=float(unit.scheduled[cell]),
        forecast=float(unit.forecast[cell]),
        removed=float(unit.removed[cell]),
        difference=difference,
    )
    reasons = [_worst_sentence(worst, many_units=len(units) > 1), _rating_sentence(rating)]
    missing = duration_cells * len(units) - len(known)
    if missing:
        reasons.append(f"No forecast for {missing} of the slot's intervals; they were not scored")
    return Slot(start, end, score, total, rating, worst, reasons)


def _worst_sentence(worst: StaffingDetail, many_units: bool) -> str:
    minute_of_day = worst.interval_start % (24 * 60)
    at = f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d} UTC"
    where = f" in {worst.business_unit}" if many_units else ""
    return (
        f"Staffing after coaching {worst.difference:+.1f} at {at}{where} "
        f"(scheduled {worst.scheduled:g}, forecast {worst.forecast:g}, "
        f"{_heads(worst.removed)} off queue)"
    )


def _heads(removed: float) -> str:
    if removed == 0:
        return "no agent"
    count = f"{removed:.2f}".rstrip("0").rstrip(".")
    return f"{count} agent" if removed == 1 else f"{count} agents"


def _rating_sentence(rating: Rating) -> str:
    if rating is Rating.GOOD:
        return f"Good: at least {GOOD_MIN_DIFFERENCE:+.1f} over forecast in every interval"
    if rating is Rating.NEUTRAL:
        return f"Neutral: at or above forecast, but below {GOOD_MIN_DIFFERENCE:+.1f} somewhere"
    return "Poor: staffing drops below forecast during the session"
