"""Property test (W3, W4): the slot finder reading schedules in the cache's array form.

The WFM cache converts shifts and activities once (``wfm_arrays``) and hands them over on
``PersonSchedule.wfm``; the finder then masks all people in one pass. On random schedules (the
oracle test's, with up to five attendees) that must answer exactly what the finder answers
from the activity objects and what the minute-by-minute oracle answers, and flatten them
exactly as the straightforward conversion it replaced, kept here as the reference.
"""

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.solver import InvalidQuery, PersonSchedule, SlotQuery, find_slots, wfm_arrays
from tandem.solver.availability import _ACTIVITY_CODE, _CODE, BusyReason, flatten
from tandem.solver.intervals import as_arrays, merge
from tandem.solver.schedule import NEVER_INTERRUPTIBLE
from tests.solver.test_solver_slot_oracle import oracle, people, queries

EXAMPLES = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def reference_flatten(person: PersonSchedule) -> dict[str, np.ndarray | None]:
    """The conversion as it was before the cache kept arrays: appointments and blocking
    activities in one list, zero-length ones dropped, on-queue time merged."""
    starts, ends = as_arrays(person.appointments)
    codes = np.full(starts.size, _CODE[BusyReason.APPOINTMENT])
    shifts, on_queue = None, (np.empty(0, np.int64), np.empty(0, np.int64))
    if person.has_wfm:
        acts = person.activities
        blocking = [a for a in acts if not a.interruptible or a.category in NEVER_INTERRUPTIBLE]
        b_starts, b_ends = as_arrays(blocking)
        starts, ends = np.concatenate((starts, b_starts)), np.concatenate((ends, b_ends))
        codes = np.concatenate((codes, [_ACTIVITY_CODE[a.category] for a in blocking]))
        shifts = as_arrays(person.shifts or ())
        on_queue = merge(*as_arrays([a for a in acts if a.category == "on_queue"]))
    real = ends > starts
    return {
        "busy": np.stack((starts[real], ends[real], codes[real].astype(np.int64))),
        "shifts": None if shifts is None else np.stack(shifts),
        "on_queue": np.stack(on_queue),
    }


def with_arrays(person: PersonSchedule) -> PersonSchedule:
    if not person.has_wfm:
        return person
    return dataclasses.replace(person, wfm=wfm_arrays(person.shifts or (), person.activities))


@st.composite
def crowded_queries(draw) -> SlotQuery:
    """The oracle's queries with up to five attendees."""
    query = draw(queries())
    lo, hi = query.window.start - 60, query.window.start + 540
    extra = [draw(people(f"x{i}", lo, hi)) for i in range(draw(st.integers(0, 3)))]
    return dataclasses.replace(query, attendees=[*query.attendees, *extra])


@EXAMPLES
@given(crowded_queries())
def test_w3_cached_arrays_flatten_as_the_activity_objects_did(query: SlotQuery) -> None:
    for person in query.people:
        expected = reference_flatten(person)
        for av in (flatten(person), flatten(with_arrays(person))):
            got = np.stack((av.busy_starts, av.busy_ends, av.busy_codes))
            assert np.array_equal(got, expected["busy"])
            assert np.array_equal(np.stack(av.on_queue), expected["on_queue"])
            if expected["shifts"] is None:
                assert av.shifts is None
            else:
                assert np.array_equal(np.stack(av.shifts), expected["shifts"])


@EXAMPLES
@given(crowded_queries())
def test_w3_w4_find_slots_answers_the_same_from_cached_arrays(query: SlotQuery) -> None:
    cached = dataclasses.replace(
        query,
        attendees=[with_arrays(p) for p in query.attendees],
        facilitator=with_arrays(query.facilitator),
    )
    ranked = oracle(query)
    if ranked is None:
        with pytest.raises(InvalidQuery):
            find_slots(cached)
        return
    expected, got = find_slots(query), find_slots(cached)
    # Five attendees masked in one pass and their on-queue time summed at once: still the
    # minute-by-minute oracle's answer.
    assert [(s.start, s.score, s.total) for s in got.slots] == ranked[: query.limit]
    assert got.slots == expected.slots
    assert (got.window, got.feasible_count) == (expected.window, expected.feasible_count)
    assert list(got.schedules) == list(expected.schedules)
    for person_id, free_busy in got.schedules.items():
        assert free_busy.segments() == expected.schedules[person_id].segments()
