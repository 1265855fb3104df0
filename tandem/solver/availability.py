"""One person's schedule flattened to arrays: where a slot may start, and why time is busy.

Shared by the slot finder and the team planner so both apply W3 identically.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import numpy as np

from tandem.solver.intervals import IntArray, as_arrays, complement, merge, sorted_unique
from tandem.solver.minutes import GRID_MINUTES
from tandem.solver.schedule import NEVER_INTERRUPTIBLE, ActivityCategory, PersonSchedule
from tandem.solver.validation import Grid


class BusyReason(StrEnum):
    """Why a minute is unavailable, in priority order: where causes overlap, the first one wins,
    so a supervisor sees the most actionable cause (an appointment before the break it hides)."""

    APPOINTMENT = "appointment"
    TIME_OFF = "time_off"
    MEAL = "meal"
    BREAK = "break"
    TRAINING = "training"
    MEETING = "meeting"
    UNAVAILABLE = "unavailable"
    OFF_QUEUE = "off_queue"
    ON_QUEUE = "on_queue"
    OFF_SHIFT = "off_shift"
    OUTSIDE_WORKING_HOURS = "outside_working_hours"


_REASONS = tuple(BusyReason)
_CODE = {reason: code for code, reason in enumerate(_REASONS)}
_FREE = -1
# Activity categories share their names with busy reasons, so an activity's code is its reason's.
_ACTIVITY_CODE = {category: _CODE[BusyReason(category)] for category in ActivityCategory}
_NEVER_INTERRUPTIBLE_CODE = np.zeros(len(_REASONS), dtype=bool)
_NEVER_INTERRUPTIBLE_CODE[[_ACTIVITY_CODE[c] for c in NEVER_INTERRUPTIBLE]] = True


class FreeBusySegment(NamedTuple):
    """Immutable like the dataclasses here, but a tuple: a dense six-week schedule has over a
    thousand segments, and a tuple builds several times faster than a frozen dataclass."""

    start: int
    end: int
    status: str
    """``"free"`` or ``"busy"``."""
    reason: str | None
    """A :class:`BusyReason` value for busy time (an activity's category for activities)."""


@dataclass(frozen=True, slots=True, eq=False)
class Availability:
    """A person's blocking time as arrays.

    ``busy_*`` holds appointments and blocking activities (a slot may not touch them);
    ``shifts`` are kept one by one because a slot must fit inside a single shift;
    ``working_hours`` are merged because only their union matters.
    """

    person_id: str
    busy_starts: IntArray
    busy_ends: IntArray
    busy_codes: IntArray
    shifts: tuple[IntArray, IntArray] | None
    working_hours: tuple[IntArray, IntArray] | None
    on_queue: tuple[IntArray, IntArray]


def flatten(person: PersonSchedule) -> Availability:
    appt_starts, appt_ends = as_arrays(person.appointments)
    starts, ends = [appt_starts], [appt_ends]
    codes = [np.full(appt_starts.size, _CODE[BusyReason.APPOINTMENT], dtype=np.int64)]
    shifts = None
    on_queue = (np.empty(0, np.int64), np.empty(0, np.int64))
    if person.has_wfm:
        shifts = as_arrays(person.shifts or ())
        acts = person.activities
        act_starts, act_ends = as_arrays(acts)
        act_codes = np.array([_ACTIVITY_CODE[a.category] for a in acts], dtype=np.int64)
        interruptible = np.array([a.interruptible for a in acts], dtype=bool)
        blocks = ~interruptible | _NEVER_INTERRUPTIBLE_CODE[act_codes]
        starts.append(act_starts[blocks])
        ends.append(act_ends[blocks])
        codes.append(act_codes[blocks])
        queued = act_codes == _CODE[BusyReason.ON_QUEUE]
        on_queue = merge(act_starts[queued], act_ends[queued])
    busy_starts, busy_ends = np.concatenate(starts), np.concatenate(ends)
    real = busy_ends > busy_starts
    hours = person.working_hours
    return Availability(
        person_id=person.person_id,
        busy_starts=busy_starts[real],
        busy_ends=busy_ends[real],
        busy_codes=np.concatenate(codes)[real],
        shifts=shifts,
        working_hours=None if hours is None else merge(*as_arrays(hours)),
        on_queue=on_queue,
    )


def start_mask(av: Availability, grid: Grid, duration_cells: int) -> np.ndarray:
    """``mask[i]`` is True when a slot of ``duration_cells`` starting at cell ``i`` breaks no
    personal W3 rule: it touches no busy interval, lies inside one shift (WFM people) and inside
    working hours (when given)."""
    n_starts = grid.start_count(duration_cells)
    grid_end = grid.origin + grid.cells * GRID_MINUTES
    busy_starts, busy_ends = av.busy_starts, av.busy_ends
    if av.working_hours is not None:
        # Inside the union of working hours <=> touching none of its gaps.
        gap_starts, gap_ends = complement(*av.working_hours, grid.origin, grid_end)
        busy_starts = np.concatenate((busy_starts, gap_starts))
        busy_ends = np.concatenate((busy_ends, gap_ends))
    # A busy interval touching cells [first, after), even by one minute, rules out the starts
    # [first - duration + 1, after).
    first = (busy_starts - grid.origin) // GRID_MINUTES - duration_cells + 1
    after = -((grid.origin - busy_ends) // GRID_MINUTES)
    blocked = _range_counts(first, after, n_starts)
    if av.shifts is None:
        allowed_first, allowed_after = np.zeros(1, np.int64), np.full(1, n_starts)
    else:
        shift_starts, shift_ends = av.shifts
        allowed_first = -((grid.origin - shift_starts) // GRID_MINUTES)
        allowed_after = (shift_ends - grid.origin) // GRID_MINUTES - duration_cells + 1
    allowed = _range_counts(allowed_first, allowed_after, n_starts)
    # One running sum for both: weighting blocked ranges above the largest possible allowed
    # count makes "inside some shift and blocked by nothing" the same as "positive".
    weight = allowed_first.size + 1
    return np.cumsum(allowed - weight * blocked)[:n_starts] > 0


def _range_counts(first: IntArray, after: IntArray, size: int) -> IntArray:
    """Difference array of the integer ranges ``[first, after)`` clipped to ``[0, size)``."""
    first = np.minimum(np.maximum(first, 0), size)
    after = np.minimum(np.maximum(after, 0), size)
    real = after > first
    return np.bincount(first[real], minlength=size + 1) - np.bincount(
        after[real], minlength=size + 1
    )


@dataclass(frozen=True, slots=True, eq=False)
class FreeBusy:
    """One person's free/busy over the clipped window, computed when asked for.

    Six weeks of a dense WFM schedule is over a thousand segments: building them costs more than
    the slot search itself, and callers that only want the ranked slots should not pay for it.
    """

    person_id: str
    availability: Availability
    start: int
    end: int

    def segments(self) -> list[FreeBusySegment]:
        """Merged segments, minute-exact, each busy one labelled with its highest-priority cause."""
        starts, ends, codes = _labelled_pieces(self.availability, self.start, self.end)
        return [
            FreeBusySegment(start, end, "free", None)
            if code == _FREE
            else FreeBusySegment(start, end, "busy", _REASONS[code].value)
            for start, end, code in zip(starts.tolist(), ends.tolist(), codes.tolist(), strict=True)
        ]


def _labelled_pieces(av: Availability, lo: int, hi: int) -> tuple[IntArray, IntArray, IntArray]:
    starts, ends, codes = [av.busy_starts], [av.busy_ends], [av.busy_codes]
    for spans, reason in (
        (None if av.shifts is None else merge(*av.shifts), BusyReason.OFF_SHIFT),
        (av.working_hours, BusyReason.OUTSIDE_WORKING_HOURS),
    ):
        if spans is not None:
            gap_starts, gap_ends = complement(*spans, lo, hi)
            starts.append(gap_starts)
            ends.append(gap_ends)
            codes.append(np.full(gap_starts.size, _CODE[reason], dtype=np.int64))
    s = np.minimum(np.maximum(np.concatenate(starts), lo), hi)
    e = np.minimum(np.maximum(np.concatenate(ends), lo), hi)
    c = np.concatenate(codes)
    real = e > s
    s, e, c = s[real], e[real], c[real]
    bounds = sorted_unique(np.concatenate(([lo, hi], s, e)))
    pieces = bounds.size - 1
    width = pieces + 1
    size = len(_REASONS) * width
    # Count, per reason and elementary piece, the intervals covering it; the first reason with a
    # positive count labels the piece.
    delta = np.bincount(c * width + np.searchsorted(bounds, s), minlength=size) - np.bincount(
        c * width + np.searchsorted(bounds, e), minlength=size
    )
    covered = np.cumsum(delta.reshape(len(_REASONS), width), axis=1)[:, :pieces] > 0
    labels = np.where(covered.any(axis=0), covered.argmax(axis=0), _FREE)
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    first = np.concatenate(([0], change))
    return bounds[first], bounds[np.append(change, pieces)], labels[first]
