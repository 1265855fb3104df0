"""Hard rules of the slot finder (W2, W3) and request validation."""

import pytest

from tandem.solver import (
    HORIZON_MINUTES,
    ActivityCategory,
    InvalidQuery,
    Rule,
    SlotQuery,
    Span,
    check_slot,
    find_slots,
)
from tests.solver.solver_builders import MONDAY, activity, at, on_queue, person, span

COACH = person("coach")


def starts(query: SlotQuery) -> list[int]:
    return sorted(slot.start for slot in find_slots(query).slots)


def query(attendees, window=None, now=None, duration=30, limit=1000, facilitator=COACH, **kw):
    return SlotQuery(
        attendees=attendees,
        facilitator=facilitator,
        window=window or span("09:00", "12:00"),
        now=at("08:00") if now is None else now,
        duration=duration,
        limit=limit,
        **kw,
    )


def grid(start: str, end: str, step: int = 15) -> list[int]:
    return list(range(at(start), at(end) + 1, step))


def test_w3_unconstrained_people_get_every_grid_start_in_the_window():
    assert starts(query([person()])) == grid("09:00", "11:30")


def test_w3_starts_on_the_15_minute_grid_and_not_before_now():
    found = starts(query([person()], window=span("08:50", "10:00"), now=at("09:07")))
    assert found == grid("09:15", "09:30")


def test_w3_end_at_most_six_weeks_ahead_and_window_clipped():
    now = at("09:00")
    window = Span(now + HORIZON_MINUTES - 120, now + HORIZON_MINUTES + 600)
    result = find_slots(query([person()], window=window, now=now))
    assert result.window == Span(window.start, now + HORIZON_MINUTES)
    assert max(s.end for s in result.slots) == now + HORIZON_MINUTES
    assert len(result.slots) == 7


@pytest.mark.parametrize("duration", [0, -15, 20, 75, 90])
def test_w2_duration_must_be_15_minute_steps_up_to_60(duration):
    with pytest.raises(InvalidQuery, match="duration"):
        find_slots(query([person()], duration=duration))


@pytest.mark.parametrize(
    "window",
    [
        span("12:00", "09:00"),  # ends before it starts
        span("06:00", "07:59"),  # entirely before now (08:00)
        Span(at("08:00") + HORIZON_MINUTES, at("08:00") + HORIZON_MINUTES + 60),  # after horizon
    ],
)
def test_w3_window_invalid_or_entirely_outside_the_horizon(window):
    with pytest.raises(InvalidQuery):
        find_slots(query([person()], window=window))
    assert issubclass(InvalidQuery, ValueError)


def test_w2_needs_an_attendee_and_distinct_people():
    with pytest.raises(InvalidQuery):
        find_slots(query([]))
    with pytest.raises(InvalidQuery):
        find_slots(query([person("coach")]))


def test_w3_no_overlap_with_attendee_or_facilitator_appointments_half_open():
    agent = person(appointments=[span("09:00", "10:00")])
    coach = person("coach", appointments=[span("10:31", "10:32")])
    found = starts(query([agent], facilitator=coach))
    # 10:00 touches the agent's appointment end only; 10:15 and 10:30 would cover 10:31.
    assert found == [at("10:00"), *grid("10:45", "11:30")]


def test_w2_appointment_being_edited_is_left_out_by_the_caller():
    editing = span("09:00", "09:30")
    other = span("10:00", "10:30")
    with_it = starts(query([person(appointments=[editing, other])]))
    without_it = starts(query([person(appointments=[other])]))
    assert at("09:00") not in with_it
    assert at("09:00") in without_it


def test_w3_every_attendee_must_be_free():
    first = person("a1", appointments=[span("09:00", "10:00")])
    second = person("a2", appointments=[span("10:00", "11:00")])
    assert starts(query([first, second])) == grid("11:00", "11:30")


def test_w3_only_fully_inside_one_shift():
    agent = person(shifts=[span("09:05", "10:00"), span("10:00", "11:00")])
    found = starts(query([agent]))
    # 09:05 is off the grid; a slot straddling the two shifts at 10:00 is not inside one shift.
    assert found == [at("09:15"), at("09:30"), *grid("10:00", "10:30")]


@pytest.mark.parametrize(
    "category", ["break", "meal", "time_off", "meeting", "training", "unavailable"]
)
def test_w3_never_over_break_meal_time_off_meeting_training_even_if_flagged_interruptible(
    category,
):
    agent = person(
        shifts=[span("09:00", "12:00")],
        activities=[activity("10:00", "10:15", category, interruptible=True)],
    )
    found = starts(query([agent]))
    assert found == [at("09:00"), at("09:15"), at("09:30"), *grid("10:15", "11:30")]


def test_w3_non_interruptible_on_queue_blocks_and_interruptible_work_or_gaps_do_not():
    agent = person(
        shifts=[span("09:00", "12:00")],
        activities=[
            on_queue("09:00", "10:00"),
            activity("10:00", "10:30", ActivityCategory.OFF_QUEUE, interruptible=True),
            activity("11:00", "11:05", ActivityCategory.ON_QUEUE, interruptible=False),
        ],
    )
    # 10:30-11:00 has no activity at all: still available inside the shift.
    assert starts(query([agent])) == [*grid("09:00", "10:30"), at("11:15"), at("11:30")]


def test_w3_wfm_person_without_shift_is_never_available():
    result = find_slots(query([person(shifts=[])]))
    assert result.slots == []
    segments = result.schedules["agent"].segments()
    assert [(s.status, s.reason) for s in segments] == [("busy", "off_shift")]


def test_w3_without_wfm_data_only_appointments_count():
    agent = person(
        shifts=None,
        activities=[activity("09:00", "12:00", ActivityCategory.BREAK)],
        appointments=[span("09:00", "09:30")],
    )
    assert starts(query([agent])) == grid("09:30", "11:30")


def test_w3_facilitator_working_hours_are_respected_as_a_union():
    coach = person("coach", working_hours=[span("09:00", "10:00"), span("10:00", "10:40")])
    assert starts(query([person()], facilitator=coach)) == grid("09:00", "10:00")
    lunch = person("coach", working_hours=[span("09:00", "10:00"), span("11:00", "12:00")])
    assert starts(query([person()], facilitator=lunch)) == [
        at("09:00"),
        at("09:15"),
        at("09:30"),
        *grid("11:00", "11:30"),
    ]


def test_w3_limit_returns_distinct_starts_that_may_overlap():
    result = find_slots(query([person()], limit=3))
    assert [s.start for s in result.slots] == grid("09:00", "09:30")
    assert result.feasible_count == 11


def test_w3_check_slot_names_rule_and_person():
    agent = person(
        shifts=[span("09:00", "12:00")],
        activities=[activity("10:00", "10:15", ActivityCategory.BREAK)],
        appointments=[span("10:10", "10:20")],
    )
    coach = person("coach", working_hours=[span("09:00", "10:10")])
    q = query([agent], facilitator=coach, now=at("09:50"))
    found = {(v.rule, v.person_id) for v in check_slot(q, at("09:55"))}
    assert found == {
        (Rule.OFF_GRID, None),
        (Rule.APPOINTMENT_CONFLICT, "agent"),
        (Rule.BLOCKED_ACTIVITY, "agent"),
        (Rule.OUTSIDE_WORKING_HOURS, "coach"),
    }
    assert [(v.rule, v.person_id) for v in check_slot(q, at("09:15"))] == [(Rule.BEFORE_NOW, None)]
    late = {v.rule for v in check_slot(q, at("11:45"))}
    assert late == {Rule.OUTSIDE_WINDOW, Rule.OFF_SHIFT, Rule.OUTSIDE_WORKING_HOURS}


def test_w3_check_slot_past_horizon_and_valid_start():
    q = query([person()], window=Span(MONDAY, MONDAY + 60 * 24 * 60))
    assert check_slot(q, at("09:00")) == []
    rules = {v.rule for v in check_slot(q, at("08:00") + HORIZON_MINUTES)}
    assert rules == {Rule.BEYOND_HORIZON}


def test_w5_check_slot_agrees_with_find_slots_on_a_busy_day():
    agent = person(
        shifts=[span("08:00", "16:00")],
        activities=[
            on_queue("08:00", "16:00"),
            activity("09:50", "10:05", ActivityCategory.BREAK),
            activity("12:00", "12:45", ActivityCategory.MEAL),
        ],
        appointments=[span("13:07", "13:31")],
    )
    coach = person("coach", working_hours=[span("08:30", "15:00")])
    q = query([agent], facilitator=coach, window=span("07:00", "17:00"), now=at("08:20"))
    feasible = set(starts(q))
    for start in range(at("07:00"), at("17:00"), 5):
        assert (check_slot(q, start) == []) == (start in feasible), start
