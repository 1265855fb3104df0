"""Team plans by predicted service level (W6 with volume data): the planner minimises the
contacts predicted to miss the SL threshold, keeps the floor, and reports SL after the plan."""

from dataclasses import replace

import numpy as np

from tandem.solver import (
    PlanEngine,
    PlanRequest,
    PlanStatus,
    ServiceGoal,
    StaffingCurve,
    plan_team,
)
from tests.solver.solver_builders import at, on_queue, person, span
from tests.solver.test_solver_plan import assert_valid

GOAL = ServiceGoal(target_percent=80, threshold_seconds=20, floor_percent=70)


def agent(person_id: str):
    return person(
        person_id,
        shifts=[span("09:00", "11:00")],
        activities=[on_queue("09:00", "11:00")],
        business_unit="sales",
    )


def coach(person_id: str):
    return person(person_id, working_hours=[span("09:00", "11:00")])


def busy_then_quiet() -> StaffingCurve:
    """09:00-10:00: 14 agents for 50 contacts (3-min calls); 10:00-11:00: 14 for 30; the
    headcount surplus is the same everywhere, so only volume tells the hours apart. At 09:00
    only 12 are scheduled: one more off would push SL from 64 % to 39 %, under the floor."""
    scheduled = [12, 14, 14, 14, 14, 14, 14, 14]
    contacts = [50, 50, 50, 50, 30, 30, 30, 30]
    return StaffingCurve(
        at("09:00"),
        np.array(scheduled, float),
        np.array([12.0] * 8),
        contacts=np.array(contacts, float),
        aht_seconds=np.full(8, 180.0),
        goal=GOAL,
    )


def request(agents: int, coaches: int, engine: PlanEngine = PlanEngine.HIGHS) -> PlanRequest:
    return PlanRequest(
        agents=[agent(f"a{i}") for i in range(agents)],
        facilitators=[coach(f"c{i}") for i in range(coaches)],
        window=span("09:00", "11:00"),
        now=at("08:00"),
        duration=30,
        staffing={"sales": busy_then_quiet()},
        engine=engine,
    )


def test_w6_sl_plan_puts_sessions_in_the_quiet_hour_and_reports_sl_after():
    plan = request(agents=2, coaches=2)
    result = plan_team(plan)
    assert_valid(plan, result)
    assert result.status is PlanStatus.OPTIMAL and not result.unplaced
    # Two sessions, one per facilitator: both fit in the quiet hour without overlapping cost.
    assert all(a.start >= at("10:00") for a in result.assignments)
    assert result.service_levels and all(s.contacts == 30 for s in result.service_levels)
    for interval in result.service_levels:
        assert interval.after_percent < interval.before_percent and not interval.below_floor
    # The impact is in contacts predicted to miss 20 s because of the sessions.
    assert 0 < result.impact < 30 and result.lower_bound <= result.objective + 1e-6


def test_w6_sl_plan_keeps_the_floor_and_matches_greedy_bound():
    # Four agents, four facilitators: the quiet hour holds all four sessions only by stacking
    # heads; the 09:00 interval (64 % before) is never used, since it would break the floor.
    plan = request(agents=4, coaches=4)
    result = plan_team(plan)
    assert_valid(plan, result)
    assert not result.unplaced
    assert all(a.start != at("09:00") for a in result.assignments)
    assert not any(s.below_floor for s in result.service_levels)
    greedy = plan_team(request(agents=4, coaches=4, engine=PlanEngine.GREEDY))
    assert result.objective <= greedy.objective + 1e-9
    assert result.gap <= 1e-3


def test_w6_without_volume_the_plan_reports_no_service_levels():
    plan = request(agents=1, coaches=1)
    flat = plan.staffing["sales"]
    heads_only = StaffingCurve(flat.start, flat.scheduled, flat.forecast)
    result = plan_team(replace(plan, staffing={"sales": heads_only}))
    assert result.service_levels == [] and len(result.assignments) == 1
