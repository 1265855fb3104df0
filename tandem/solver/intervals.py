"""Vectorised interval arithmetic on numpy arrays of half-open ``[start, end)`` minute intervals."""

from collections.abc import Sequence

import numpy as np

from tandem.solver.schedule import Span

IntArray = np.ndarray


def as_arrays(spans: Sequence[Span]) -> tuple[IntArray, IntArray]:
    # One list per field: numpy converts flat int lists far faster than lists of tuples.
    return (
        np.array([s.start for s in spans], dtype=np.int64),
        np.array([s.end for s in spans], dtype=np.int64),
    )


def merge(starts: IntArray, ends: IntArray) -> tuple[IntArray, IntArray]:
    """Union of intervals as sorted, disjoint, non-touching intervals (empty ones dropped)."""
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    if starts.size == 0:
        return starts, ends
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    opens = np.empty(starts.size, dtype=bool)
    opens[0] = True
    opens[1:] = starts[1:] > reach[:-1]
    group_first = np.flatnonzero(opens)
    group_last = np.append(group_first[1:] - 1, starts.size - 1)
    return starts[group_first], reach[group_last]


def complement(starts: IntArray, ends: IntArray, lo: int, hi: int) -> tuple[IntArray, IntArray]:
    """``[lo, hi)`` minus merged intervals ``starts/ends``."""
    gap_starts = np.minimum(np.maximum(np.concatenate(([lo], ends)), lo), hi)
    gap_ends = np.minimum(np.maximum(np.concatenate((starts, [hi])), lo), hi)
    keep = gap_ends > gap_starts
    return gap_starts[keep], gap_ends[keep]


def minutes_before(starts: IntArray, ends: IntArray, points: IntArray) -> IntArray:
    """For each point p, the minutes of the intervals that lie before p, an interval covering a
    minute twice counting it twice: summed over several people's on-queue time at once."""
    return _ramps(starts, points) - _ramps(ends, points)


def _ramps(values: IntArray, points: IntArray) -> IntArray:
    """For each point p, the sum of ``max(0, p - v)`` over ``values``."""
    ordered = np.sort(values)
    below = np.searchsorted(ordered, points, side="right")
    return below * points - np.concatenate(([0], np.cumsum(ordered)))[below]


def sorted_unique(values: IntArray) -> IntArray:
    # np.unique is several times slower than sort + dedupe on the few thousand values seen here.
    ordered = np.sort(values)
    keep = np.ones(ordered.size, dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]
