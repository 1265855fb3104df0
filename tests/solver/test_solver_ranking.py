"""Ranking by service-level impact (W4) and free/busy explanations."""

import pytest

from tandem.solver import (
    ActivityCategory,
    Rating,
    SlotQuery,
    find_slots,
    from_minutes,
    to_minutes,
)
from tests.solver.solver_builders import activity, at, curve, on_queue, person, span

COACH = person("coach")


def query(attendees, staffing, window=None, duration=30, limit=10):
    return SlotQuery(
        attendees=attendees,
        facilitator=COACH,
        window=window or span("10:00", "11:00"),
        now=at("08:00"),
        duration=duration,
        limit=limit,
        staffing=staffing,
    )


def agent_on_queue(unit="sales", person_id="agent"):
    return person(
        person_id,
        shifts=[span("08:00", "16:00")],
        activities=[on_queue("08:00", "16:00")],
        business_unit=unit,
    )


def test_w4_ranked_by_worst_interval_then_sum_then_earliest():
    # Intervals 10:00 .. 10:45; an on-queue agent removes one head from each covered interval.
    staffing = {"sales": curve("10:00", [5, 3, 3, 5], [1, 1, 1, 1])}
    result = find_slots(query([agent_on_queue()], staffing))
    ranked = [(from_minutes(s.start).strftime("%H:%M"), s.score, s.total) for s in result.slots]
    # All three starts share the worst interval (+1); the sum puts 10:15 (1+1) last, and
    # 10:00 and 10:30 (3+1 and 1+3) tie on both: the earlier start wins.
    assert ranked == [("10:00", 1.0, 4.0), ("10:30", 1.0, 4.0), ("10:15", 1.0, 2.0)]


@pytest.mark.parametrize(
    ("surplus", "rating"),
    [
        (2.0, Rating.GOOD),
        (1.0, Rating.GOOD),
        (0.5, Rating.NEUTRAL),
        (0.0, Rating.NEUTRAL),
        (-0.5, Rating.POOR),
    ],
)
def test_w4_rating_thresholds(surplus, rating):
    staffing = {"sales": curve("10:00", [10 + surplus + 1] * 4, [10] * 4)}
    slot = find_slots(query([agent_on_queue()], staffing, limit=1)).slots[0]
    assert slot.score == surplus
    assert slot.rating is rating


def test_w4_reason_and_detail_name_the_worst_interval():
    staffing = {"sales": curve("10:00", [20, 14, 20, 20], [11, 11, 11, 11])}
    window = span("10:00", "10:30")
    slot = find_slots(query([agent_on_queue()], staffing, window=window)).slots[0]
    assert slot.reasons[0] == (
        "Staffing after coaching +2.0 at 10:15 UTC (scheduled 14, forecast 11, 1 agent off queue)"
    )
    assert slot.rating is Rating.GOOD
    assert slot.worst is not None
    assert (slot.worst.interval_start, slot.worst.scheduled, slot.worst.forecast) == (
        at("10:15"),
        14.0,
        11.0,
    )
    assert (slot.worst.removed, slot.worst.difference, slot.worst.business_unit) == (
        1.0,
        2.0,
        "sales",
    )


def test_w4_only_on_queue_time_takes_heads_off_the_phones():
    agent = person(
        shifts=[span("08:00", "16:00")],
        activities=[
            activity("10:00", "10:15", ActivityCategory.OFF_QUEUE, interruptible=True),
            on_queue("10:15", "10:20"),
        ],
        business_unit="sales",
    )
    staffing = {"sales": curve("10:00", [3, 3], [1, 1])}
    slot = find_slots(query([agent], staffing, window=span("10:00", "10:30"))).slots[0]
    # Off queue all of 10:00-10:15 (nothing removed); on queue 5 of the next 15 minutes.
    assert slot.score == pytest.approx(2 - 1 / 3)
    assert slot.worst is not None and slot.worst.removed == pytest.approx(1 / 3)
    assert "0.33 agents off queue" in slot.reasons[0]


def test_w4_attendees_of_one_unit_are_removed_together():
    staffing = {"sales": curve("10:00", [3, 3], [1, 1])}
    both = [agent_on_queue(person_id="a1"), agent_on_queue(person_id="a2")]
    slot = find_slots(query(both, staffing, window=span("10:00", "10:30"))).slots[0]
    assert slot.score == 0.0
    assert slot.rating is Rating.NEUTRAL
    assert "2 agents off queue" in slot.reasons[0]


def test_w4_several_units_take_the_worst_of_them():
    staffing = {"sales": curve("10:00", [9, 9], [1, 1]), "support": curve("10:00", [2, 2], [2, 2])}
    attendees = [agent_on_queue("sales", "a1"), agent_on_queue("support", "a2")]
    slot = find_slots(query(attendees, staffing, window=span("10:00", "10:30"))).slots[0]
    assert slot.score == -1.0
    assert slot.total == 7 + 7 - 1 - 1
    assert slot.worst is not None and slot.worst.business_unit == "support"
    assert " in support " in slot.reasons[0]


def test_w4_without_forecast_score_zero_neutral_and_earliest_first():
    result = find_slots(query([agent_on_queue("billing")], {"sales": curve("10:00", [1], [9])}))
    assert [s.start for s in result.slots] == [at("10:00"), at("10:15"), at("10:30")]
    for slot in result.slots:
        assert (slot.score, slot.rating, slot.worst) == (0.0, Rating.NEUTRAL, None)
        assert "No staffing forecast" in slot.reasons[0]
    assert find_slots(query([agent_on_queue()], None)).slots[0].start == at("10:00")


def test_w4_partial_forecast_scores_known_intervals_and_says_so():
    staffing = {"sales": curve("10:00", [4], [1])}
    slot = find_slots(query([agent_on_queue()], staffing, window=span("10:00", "10:30"))).slots[0]
    assert slot.score == 2.0
    assert slot.reasons[-1] == "No forecast for 1 of the slot's intervals; they were not scored"


def test_w4_free_busy_reasons_explain_missing_time():
    agent = person(
        shifts=[span("09:00", "12:00")],
        activities=[
            on_queue("09:00", "12:00"),
            activity("10:00", "10:15", ActivityCategory.BREAK),
            activity("10:15", "10:30", ActivityCategory.BREAK),
            activity("11:00", "11:30", ActivityCategory.MEETING),
        ],
        appointments=[span("11:15", "11:45")],
    )
    coach = person("coach", working_hours=[span("08:30", "11:00")])
    q = SlotQuery([agent], coach, span("08:00", "13:00"), now=at("08:00"))
    result = find_slots(q)
    clock = [
        (from_minutes(s.start).strftime("%H:%M"), from_minutes(s.end).strftime("%H:%M"), s.reason)
        for s in result.schedules["agent"].segments()
    ]
    assert clock == [
        ("08:00", "09:00", "off_shift"),
        ("09:00", "10:00", None),
        ("10:00", "10:30", "break"),  # two touching breaks merge
        ("10:30", "11:00", None),
        ("11:00", "11:15", "meeting"),
        ("11:15", "11:45", "appointment"),  # the appointment wins over the meeting under it
        ("11:45", "12:00", None),
        ("12:00", "13:00", "off_shift"),
    ]
    coach_segments = result.schedules["coach"].segments()
    assert [(s.status, s.reason) for s in coach_segments] == [
        ("busy", "outside_working_hours"),
        ("free", None),
        ("busy", "outside_working_hours"),
    ]
    assert coach_segments[1].start == at("08:30")


def test_time_helpers_round_trip_in_utc():
    moment = from_minutes(at("10:15"))
    assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0
    assert to_minutes(moment) == at("10:15")
    with pytest.raises(ValueError):
        to_minutes(moment.replace(tzinfo=None))
