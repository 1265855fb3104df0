"""Ranking by predicted service level where the staffing carries volume (W4 with Erlang C)."""

import numpy as np

from tandem.solver import (
    Rating,
    ServiceGoal,
    SlotQuery,
    StaffingCurve,
    find_slots,
    from_minutes,
)
from tandem.solver.erlang import erlang_c
from tandem.solver.erlang_a import erlang_a
from tests.solver.solver_builders import at, on_queue, person, span

COACH = person("coach")
GOAL = ServiceGoal(target_percent=80, threshold_seconds=20, floor_percent=70)


def agent(unit: str = "sales", person_id: str = "agent"):
    return person(
        person_id,
        shifts=[span("08:00", "16:00")],
        activities=[on_queue("08:00", "16:00")],
        business_unit=unit,
    )


def volume_curve(scheduled, contacts, aht=180.0, goal=GOAL, forecast=None):
    n = len(scheduled)
    return StaffingCurve(
        at("10:00"),
        np.array(scheduled, float),
        np.array(forecast or [0.0] * n, float),
        contacts=np.array(contacts, float),
        aht_seconds=np.full(n, aht),
        goal=goal,
    )


def query(staffing, window=None, limit=10, respect_floor=False, attendees=None):
    return SlotQuery(
        attendees=attendees or [agent()],
        facilitator=COACH,
        window=window or span("10:00", "11:00"),
        now=at("08:00"),
        duration=15,
        limit=limit,
        staffing=staffing,
        respect_floor=respect_floor,
    )


def clock(slot) -> str:
    return from_minutes(slot.start).strftime("%H:%M")


def sl(agents: float, contacts: float) -> float:
    queue = erlang_c(np.array([agents]), np.array([contacts]), np.array([180.0]), 20)
    return float(queue.service_level[0]) * 100


def test_w4_busy_intervals_cost_more_at_the_same_headcount_difference():
    # 14 agents everywhere (so the headcount method, with no forecast, cannot tell them apart);
    # 50 contacts at 10:00 make taking one off there far dearer than at 10:30 with 30.
    staffing = {"sales": volume_curve([14, 14, 14, 14], [50, 45, 30, 40])}
    slots = find_slots(query(staffing)).slots
    assert [clock(s) for s in slots] == ["10:30", "10:45", "10:15", "10:00"]
    best, worst = slots[0], slots[-1]
    assert best.sl_drop is not None and worst.sl_drop is not None
    assert best.sl_drop < worst.sl_drop and best.score == -best.sl_drop
    detail = worst.service_level
    assert detail is not None and detail.interval_start == at("10:00")
    assert round(detail.before_percent, 6) == round(sl(14, 50), 6)
    assert round(detail.after_percent, 6) == round(sl(13, 50), 6)
    assert worst.reasons[0] == "SL 89 % → 80 % at 10:00–10:15 UTC (target 80 %)"  # noqa: RUF001


def test_w4_floor_rates_poor_and_respect_floor_leaves_those_slots_out():
    # 12 agents for 50 contacts: 64 % before; 11 after (39 %) is below the 70 % floor.
    staffing = {"sales": volume_curve([16, 12, 16, 16], [50, 50, 50, 50])}
    result = find_slots(query(staffing))
    by_start = {clock(s): s for s in result.slots}
    assert by_start["10:15"].rating is Rating.POOR
    assert any("below the 70 % floor" in r for r in by_start["10:15"].reasons)
    assert by_start["10:00"].rating is Rating.GOOD
    kept = find_slots(query(staffing, respect_floor=True))
    assert "10:15" not in {clock(s) for s in kept.slots}
    assert kept.below_floor_left_out == 1 and len(kept.slots) == 3


def test_w4_volume_but_no_agent_left_is_sl_zero_with_a_reason():
    staffing = {"sales": volume_curve([1, 1, 1, 1], [5, 5, 5, 5])}
    slot = find_slots(query(staffing, limit=1)).slots[0]
    assert slot.service_level is not None and slot.service_level.after_percent == 0.0
    assert any(
        "No agent left on queue at 10:00–10:15 UTC for 5 contacts" in r  # noqa: RUF001
        for r in slot.reasons
    )


def test_w4_without_a_goal_the_headcount_method_stays():
    curve = volume_curve([14, 14, 14, 14], [50, 45, 30, 40], goal=None, forecast=[12, 13, 11, 12])
    slots = find_slots(query({"sales": curve})).slots
    assert slots[0].service_level is None and slots[0].sl_drop is None
    assert clock(slots[0]) == "10:30"  # the largest headcount surplus
    assert slots[0].reasons[0].startswith("Staffing after coaching")


def test_w4_neutral_below_target_but_above_floor():
    # 13 agents for 50 contacts: 79.6 % before, 13 -> 12 gives 64 %: below target, under floor
    # 70 % would be poor; with a floor of 60 % it is neutral.
    goal = ServiceGoal(target_percent=80, threshold_seconds=20, floor_percent=60)
    staffing = {"sales": volume_curve([13] * 4, [50] * 4, goal=goal)}
    slot = find_slots(query(staffing, limit=1)).slots[0]
    assert slot.rating is Rating.NEUTRAL


def test_w4_with_patience_the_finder_predicts_by_erlang_a():
    patient = ServiceGoal(target_percent=80, threshold_seconds=20, patience_seconds=60)
    staffing = {"sales": volume_curve([10, 10, 10, 10], [50, 50, 50, 50], goal=patient)}
    slot = find_slots(query(staffing, limit=1)).slots[0]
    expected = erlang_a(np.array([10.0, 9.0]), np.full(2, 50.0), np.full(2, 180.0), 20, 60)
    detail = slot.service_level
    assert detail is not None
    assert round(detail.before_percent, 9) == round(float(expected.service_level[0]) * 100, 9)
    assert round(detail.after_percent, 9) == round(float(expected.service_level[1]) * 100, 9)
    # Erlang C would call 10 agents on 10 Erlangs overloaded (0 %); callers who hang up keep
    # the queue finite, so there is a real drop to rank by.
    assert 0 < detail.after_percent < detail.before_percent
