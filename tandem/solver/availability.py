"""One person's schedule flattened to arrays: where a slot may start, and why time is busy.

Shared by the slot finder and the team planner so both apply W3 identically.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import numpy as np

from tandem.solver.intervals import IntArray, as_arrays, complement, merge, sorted_unique
from tandem.solver.minutes import GRID_MINUTES
from tandem.solver.schedule import (
    NEVER_INTERRUPTIBLE,
    Activity,
    ActivityCategory,
    PersonSchedule,
    Span,
)
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


@dataclass(frozen=True, slots=True, eq=False)
class WfmArrays:
    """A WFM person's shifts and activities as :func:`flatten` reads them.

    Converting six weeks of activity objects into arrays was half of a slot query's solver time
    (issue 13), and they change only when a schedule is imported: a cache builds this once with
    :func:`wfm_arrays` and passes it on :attr:`PersonSchedule.wfm`.
    """

    shifts: tuple[IntArray, IntArray]
    blocking_starts: IntArray
    """Activities a slot may not touch (W3), those of zero length left out."""
    blocking_ends: IntArray
    blocking_codes: IntArray
    on_queue: tuple[IntArray, IntArray]
    """On-queue time, merged: what a session takes off queue (W4)."""


def wfm_arrays(shifts: Sequence[Span], activities: Sequence[Activity]) -> WfmArrays:
    starts, ends = as_arrays(activities)
    codes = np.array([_ACTIVITY_CODE[a.category] for a in activities], dtype=np.int64)
    interruptible = np.array([a.interruptible for a in activities], dtype=bool)
    blocks = (~interruptible | _NEVER_INTERRUPTIBLE_CODE[codes]) & (ends > starts)
    queued = codes == _CODE[BusyReason.ON_QUEUE]
    return WfmArrays(
        shifts=as_arrays(shifts),
        blocking_starts=starts[blocks],
        blocking_ends=ends[blocks],
        blocking_codes=codes[blocks],
        on_queue=merge(starts[queued], ends[queued]),
    )


def flatten(person: PersonSchedule) -> Availability:
    appt_starts, appt_ends = as_arrays(person.appointments)
    real = appt_ends > appt_starts
    starts, ends = [appt_starts[real]], [appt_ends[real]]
    codes = [np.full(starts[0].size, _CODE[BusyReason.APPOINTMENT], dtype=np.int64)]
    shifts = None
    on_queue = (np.empty(0, np.int64), np.empty(0, np.int64))
    if person.has_wfm:
        wfm = person.wfm
        if wfm is None:
            wfm = wfm_arrays(person.shifts or (), person.activities)
        shifts, on_queue = wfm.shifts, wfm.on_queue
        starts.append(wfm.blocking_starts)
        ends.append(wfm.blocking_ends)
        codes.append(wfm.blocking_codes)
    hours = person.working_hours
    return Availability(
        person_id=person.person_id,
        busy_starts=np.concatenate(starts),
        busy_ends=np.concatenate(ends),
        busy_codes=np.concatenate(codes),
        shifts=shifts,
        working_hours=None if hours is None else merge(*as_arrays(hours)),
        on_queue=on_queue,
    )


def start_mask(people: Sequence[Availability], grid: Grid, duration_cells: int) -> np.ndarray:
    """``mask[i]`` is True when a slot of ``duration_cells`` starting at cell ``i`` breaks no
    personal W3 rule of any of ``people``: it touches none of their busy intervals, lies inside
    one shift of each WFM person and inside each one's working hours (when given).

    All people in one pass: with a call per person, numpy's per-call cost outweighed the
    arithmetic for five attendees (issue 13).
    """
    n_starts = grid.start_count(duration_cells)
    grid_end = grid.origin + grid.cells * GRID_MINUTES
    busy_starts, busy_ends = [], []
    shift_starts, shift_ends, shift_rows = [], [], []
    wfm_people = 0
    for av in people:
        busy_starts.append(av.busy_starts)
        busy_ends.append(av.busy_ends)
        if av.working_hours is not None:
            # Inside the union of working hours <=> touching none of its gaps.
            gap_starts, gap_ends = complement(*av.working_hours, grid.origin, grid_end)
            busy_starts.append(gap_starts)
            busy_ends.append(gap_ends)
        if av.shifts is not None:
            shift_starts.append(av.shifts[0])
            shift_ends.append(av.shifts[1])
            shift_rows.append(np.full(av.shifts[0].size, wfm_people, dtype=np.int64))
            wfm_people += 1
    starts, ends = np.concatenate(busy_starts), np.concatenate(busy_ends)
    # A busy interval touching cells [first, after), even by one minute, rules out the starts
    # [first - duration + 1, after).
    first = (starts - grid.origin) // GRID_MINUTES - duration_cells + 1
    after = -((grid.origin - ends) // GRID_MINUTES)
    mask = _coverage(first, after, np.zeros(first.size, np.int64), 1, n_starts)[0] == 0
    if wfm_people:
        starts, ends = np.concatenate(shift_starts), np.concatenate(shift_ends)
        inside = _coverage(
            -((grid.origin - starts) // GRID_MINUTES),
            (ends - grid.origin) // GRID_MINUTES - duration_cells + 1,
            np.concatenate(shift_rows),
            wfm_people,
            n_starts,
        )
        mask &= (inside > 0).all(axis=0)
    return mask


def _coverage(first: IntArray, after: IntArray, row: IntArray, rows: int, size: int) -> IntArray:
    """Per row, how many of the integer ranges ``[first, after)`` of that row (clipped to
    ``[0, size)``) cover each position: shape ``(rows, size)``."""
    first = np.minimum(np.maximum(first, 0), size)
    after = np.minimum(np.maximum(after, 0), size)
    real = after > first
    width = size + 1
    offset = row[real] * width
    delta = np.bincount(offset + first[real], minlength=rows * width) - np.bincount(
        offset + after[real], minlength=rows * width
    )
    return np.cumsum(delta.reshape(rows, width), axis=1)[:, :size]


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
