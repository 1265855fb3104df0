"""Team planner (W6): rules on every assignment, reasons for the unplaced, optimality."""

import itertools
import math
import random
from datetime import timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from tandem.solver import (
    UNPLACED_PENALTY,
    Activity,
    ActivityCategory,
    InvalidQuery,
    PersonSchedule,
    PlanEngine,
    PlanRequest,
    PlanResult,
    PlanStatus,
    SlotQuery,
    Span,
    StaffingCurve,
    UnplacedReason,
    check_slot,
    from_minutes,
    plan_team,
)
from tandem.solver.plan.greedy import plan_greedily
from tandem.solver.plan.mip import TeamModel
from tandem.solver.plan.planner import plan_objective
from tandem.solver.plan.problem import build_problem
from tests.solver.solver_builders import DAY, MONDAY, at, curve, on_queue, person, span


def agent(person_id, start="09:00", end="17:00", unit="sales", day=0, blocks=()):
    return person(
        person_id,
        shifts=[span(start, end, day)],
        activities=[on_queue(start, end, day), *blocks],
        business_unit=unit,
    )


def coach(person_id, start="09:00", end="17:00", zone="UTC", appointments=(), days=(0,)):
    return person(
        person_id,
        working_hours=[span(start, end, d) for d in days],
        appointments=list(appointments),
        time_zone=zone,
    )


def assert_valid(request: PlanRequest, result: PlanResult) -> None:
    """Every W3 rule per assignment (through check_slot), facilitator spacing, daily caps."""
    by_id = {p.person_id: p for p in (*request.agents, *request.facilitators)}
    placed = [a.agent_id for a in result.assignments]
    assert len(placed) == len(set(placed))
    assert sorted(placed + [u.agent_id for u in result.unplaced]) == sorted(
        a.person_id for a in request.agents
    )
    for a in result.assignments:
        assert a.end - a.start == request.duration
        query = SlotQuery(
            [by_id[a.agent_id]],
            by_id[a.facilitator_id],
            request.window,
            request.now,
            request.duration,
        )
        assert check_slot(query, a.start) == [], a
    gap = request.transition_minutes
    for one, other in itertools.combinations(result.assignments, 2):
        if one.facilitator_id == other.facilitator_id:
            assert one.end + gap <= other.start or other.end + gap <= one.start, (one, other)
    if request.max_per_facilitator_per_day is not None:
        days: dict[tuple[str, object], int] = {}
        for a in result.assignments:
            zone = ZoneInfo(by_id[a.facilitator_id].time_zone)
            key = (a.facilitator_id, from_minutes(a.start).astimezone(zone).date())
            days[key] = days.get(key, 0) + 1
        assert max(days.values(), default=0) <= request.max_per_facilitator_per_day
    assert sum(a.cost for a in result.assignments) == pytest.approx(result.impact)
    assert result.objective == pytest.approx(
        result.impact + UNPLACED_PENALTY * len(result.unplaced)
    )
    assert result.lower_bound <= result.objective + 1e-6


def price(after: float) -> float:
    if math.isnan(after):
        return 1.0
    return 2.0 ** min(6, max(-3, -math.floor(after)))


def brute_force(request: PlanRequest) -> float:
    """Best objective over every combination of per-agent choices (or none), rules re-checked."""
    choices = []
    for a in request.agents:
        mine = [None]
        for f in request.facilitators:
            q = SlotQuery([a], f, request.window, request.now, request.duration)
            for start in range(request.window.start, request.window.end, 15):
                if not check_slot(q, start):
                    mine.append((f, start))
        choices.append(mine)
    best = math.inf
    for combo in itertools.product(*choices):
        sessions = [(a, c) for a, c in zip(request.agents, combo, strict=True) if c is not None]
        if not _feasible(request, [c for _, c in sessions]):
            continue
        best = min(best, _impact(request, sessions) + UNPLACED_PENALTY * combo.count(None))
    return best


def _feasible(request: PlanRequest, sessions) -> bool:
    span_minutes = request.duration + request.transition_minutes
    for (f1, s1), (f2, s2) in itertools.combinations(sessions, 2):
        if f1 is f2 and abs(s1 - s2) < span_minutes:
            return False
    cap = request.max_per_facilitator_per_day
    if cap is not None:
        days: dict = {}
        for f, s in sessions:
            key = (f.person_id, from_minutes(s).astimezone(ZoneInfo(f.time_zone)).date())
            days[key] = days.get(key, 0) + 1
            if days[key] > cap:
                return False
    return True


def _impact(request: PlanRequest, sessions) -> float:
    heads: dict[tuple[str, int], float] = {}
    for a, (_, start) in sessions:
        queue = [x for x in a.activities if x.category == "on_queue"]
        for interval in range(start, start + request.duration, 15):
            minutes = sum(
                1
                for m in range(interval, interval + 15)
                if any(x.start <= m < x.end for x in queue)
            )
            key = (a.business_unit, interval)
            heads[key] = heads.get(key, 0.0) + minutes / 15
    total = 0.0
    for (unit, interval), n in heads.items():
        c = (request.staffing or {}).get(unit)
        index = None if c is None else (interval - c.start) // 15
        if c is None or not 0 <= index < len(c.scheduled):
            surplus = math.nan
        else:
            surplus = float(c.scheduled[index]) - float(c.forecast[index])
        whole = int(n)
        total += sum(price(surplus - k) for k in range(1, whole + 1))
        total += (n - whole) * price(surplus - whole - 1)
    return total


def random_small_request(seed: int) -> PlanRequest:
    rng = random.Random(seed)
    agents = []
    for i in range(3):
        blocks = (
            [
                Activity(
                    at("10:00") + rng.choice((0, 15, 30, 60)),
                    at("10:00") + 75,
                    ActivityCategory.BREAK,
                    True,
                    False,
                )
            ]
            if rng.random() < 0.5
            else []
        )
        agents.append(agent(f"a{i}", "09:00", "11:30", rng.choice(("sales", "care")), 0, blocks))
    facilitators = [
        coach("c0", "09:00", "11:00", appointments=[span("09:30", "10:00")]),
        coach("c1", "09:30", "11:30", zone=rng.choice(("UTC", "Asia/Tokyo"))),
    ]

    def surplus() -> list[float]:
        return [float(rng.randint(-1, 3)) for _ in range(12)]

    return PlanRequest(
        agents=agents,
        facilitators=facilitators,
        window=span("09:00", "11:30"),
        now=at("08:00"),
        duration=30,
        staffing={"sales": curve("09:00", surplus(), [0.0] * 12)},
        transition_minutes=rng.choice((0, 15)),
        max_per_facilitator_per_day=rng.choice((None, 1, 2)),
    )


@pytest.mark.parametrize("seed", range(20))
def test_w6_small_instances_reach_the_brute_force_optimum(seed):
    request = random_small_request(seed)
    result = plan_team(request)
    assert_valid(request, result)
    assert result.objective == pytest.approx(brute_force(request))
    assert result.status is PlanStatus.OPTIMAL
    assert result.engine in (PlanEngine.HIGHS, PlanEngine.GREEDY)
    assert result.greedy_objective >= result.objective - 1e-9


@pytest.mark.parametrize("seed", range(20))
def test_w6_the_integer_model_alone_reaches_the_brute_force_optimum(seed):
    # The MIP over agent starts and facilitator starts, started from the greedy plan: its plan
    # (facilitators paired back start by start) is the brute-force optimum. Most of these
    # seeds place everyone (agent rows as equalities), some cannot.
    request = random_small_request(seed)
    problem = build_problem(request)
    greedy = plan_greedily(problem)
    place_all = np.unique(problem.opt_agent).size == greedy.size
    plan, bound = TeamModel(problem, place_all).solve_integer(math.inf, 1e-9, greedy)
    assert plan is not None
    assert plan_objective(problem, plan) == pytest.approx(brute_force(request))
    assert bound == pytest.approx(brute_force(request))


def test_w6_a_fractional_relaxation_is_closed_by_the_mip():
    # This team's LP optimum is fractional and neither rounding nor local search reaches it:
    # the MIP steps run and prove their plan optimal.
    request = team(12, 2, 1, seed=9)
    result = plan_team(request)
    assert_valid(request, result)
    assert "mip" in result.timings
    assert result.status is PlanStatus.OPTIMAL
    assert result.objective == pytest.approx(result.lower_bound)
    assert result.objective < result.greedy_objective


def test_w6_coupling_spreads_agents_of_one_unit():
    # Both agents free 10:00-11:00 only; surplus +1: one head costs 1 per interval, a second
    # at the same time 2 more. Two facilitators could take both at once; spreading is cheaper.
    agents = [agent(f"a{i}", "10:00", "11:00") for i in range(2)]
    request = PlanRequest(
        agents=agents,
        facilitators=[coach("c0"), coach("c1")],
        window=span("09:00", "12:00"),
        now=at("08:00"),
        staffing={"sales": curve("10:00", [2.0] * 4, [1.0] * 4)},
    )
    result = plan_team(request)
    assert_valid(request, result)
    first, second = sorted(result.assignments, key=lambda a: a.start)
    assert first.end <= second.start
    assert result.impact == 4.0
    assert result.status is PlanStatus.OPTIMAL


def test_w6_transition_time_between_sessions_of_one_facilitator():
    agents = [agent(f"a{i}", "09:00", "10:30") for i in range(3)]
    request = PlanRequest(
        agents=agents,
        facilitators=[coach("c0")],
        window=span("09:00", "10:30"),
        now=at("08:00"),
        transition_minutes=15,
    )
    result = plan_team(request)
    assert_valid(request, result)
    assert len(result.assignments) == 2
    assert [u.reason for u in result.unplaced] == [UnplacedReason.CAPACITY]


def test_w6_daily_cap_counts_the_facilitators_local_day():
    # 03:00 and 06:00 UTC on Tuesday are 22:00 Monday and 01:00 Tuesday in New York.
    agents = [agent("early", "03:00", "03:30", day=1), agent("late", "06:00", "06:30", day=1)]
    window = Span(MONDAY, MONDAY + 2 * DAY)

    def request(zone: str) -> PlanRequest:
        return PlanRequest(
            agents=agents,
            facilitators=[person("c0", time_zone=zone)],
            window=window,
            now=MONDAY,
            max_per_facilitator_per_day=1,
        )

    new_york = plan_team(request("America/New_York"))
    assert_valid(request("America/New_York"), new_york)
    assert len(new_york.assignments) == 2
    utc = plan_team(request("UTC"))
    assert_valid(request("UTC"), utc)
    assert len(utc.assignments) == 1
    assert utc.unplaced[0].reason is UnplacedReason.CAPACITY


def test_w6_unplaced_agents_come_with_reasons():
    request = PlanRequest(
        agents=[
            person("no-shift", shifts=[], business_unit="sales"),
            agent("when-coach-busy", "09:00", "10:00"),
            agent("a1", "13:00", "13:30"),
            agent("a2", "13:00", "13:30"),
        ],
        facilitators=[coach("c0", appointments=[span("09:00", "10:00")])],
        window=span("08:00", "18:00"),
        now=at("07:00"),
    )
    result = plan_team(request)
    assert_valid(request, result)
    reasons = {u.agent_id: u.reason for u in result.unplaced}
    assert reasons["no-shift"] is UnplacedReason.NO_FREE_TIME
    assert reasons["when-coach-busy"] is UnplacedReason.NO_FACILITATOR
    assert len(result.assignments) == 1
    assert sorted(reasons.values()).count(UnplacedReason.CAPACITY) == 1
    assert all(u.message for u in result.unplaced)


def team(n_agents: int, n_coaches: int, days: int, seed: int, **options) -> PlanRequest:
    rng = random.Random(seed)
    agents = []
    for i in range(n_agents):
        activities, shifts = [], []
        for d in range(days):
            start = at("08:00", d) + 15 * rng.randrange(0, 8)
            shifts.append(Span(start, start + 480))
            activities.append(Activity(start, start + 480, ActivityCategory.ON_QUEUE, True, True))
            for category, length in (("break", 15), ("meal", 30), ("training", 45)):
                s = start + 5 * rng.randrange(0, 90)
                activities.append(Activity(s, s + length, ActivityCategory(category), True, False))
        agents.append(
            PersonSchedule(f"a{i:02d}", (), shifts, activities, None, rng.choice(("s", "t")))
        )
    coaches = [
        coach(
            f"c{i}",
            "08:00",
            "17:00",
            ("UTC", "Europe/Paris", "Asia/Kolkata")[i % 3],
            [span("12:00", "13:00", d) for d in range(days)],
            range(days),
        )
        for i in range(n_coaches)
    ]
    cells = days * 96
    staffing = {
        unit: StaffingCurve(
            MONDAY, np.array([rng.randint(-1, 4) for _ in range(cells)], float), np.zeros(cells)
        )
        for unit in ("s", "t")
    }
    return PlanRequest(
        agents=agents,
        facilitators=coaches,
        window=Span(MONDAY, MONDAY + days * DAY),
        now=MONDAY,
        staffing=staffing,
        **options,
    )


def test_w6_medium_team_every_assignment_keeps_every_rule():
    request = team(40, 3, 2, seed=1, transition_minutes=10, max_per_facilitator_per_day=6)
    result = plan_team(request)
    assert_valid(request, result)
    assert result.engine in (PlanEngine.HIGHS, PlanEngine.GREEDY)
    assert result.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE)
    assert result.objective <= result.greedy_objective + 1e-9
    assert {"options", "greedy", "build", "solve", "total"} <= set(result.timings)
    assert len(result.assignments) == 36  # 3 facilitators x 2 days x 6 sessions
    assert {u.reason for u in result.unplaced} == {UnplacedReason.CAPACITY}


def test_w6_fallback_when_the_mip_gets_no_time():
    request = team(40, 3, 2, seed=2, transition_minutes=10, time_limit_seconds=1e-3)
    result = plan_team(request)
    assert_valid(request, result)
    assert (result.status, result.engine) == (PlanStatus.FALLBACK, PlanEngine.GREEDY)
    assert result.objective == result.greedy_objective


def test_w6_greedy_engine_on_request():
    request = team(20, 2, 1, seed=3, engine=PlanEngine.GREEDY)
    result = plan_team(request)
    assert_valid(request, result)
    assert result.engine is PlanEngine.GREEDY
    assert result.status in (PlanStatus.FEASIBLE, PlanStatus.OPTIMAL)
    assert "build" not in result.timings


@pytest.mark.parametrize(
    "change",
    [
        {"facilitators": []},
        {"agents": [person("c0")]},
        {"facilitators": [person("c0", time_zone="Mars/Olympus")]},
        {"transition_minutes": -5},
        {"max_per_facilitator_per_day": 0},
        {"duration": 25},
    ],
)
def test_w6_malformed_requests_raise(change):
    fields = {
        "agents": [agent("a0")],
        "facilitators": [person("c0")],
        "window": span("09:00", "12:00"),
        "now": at("08:00"),
    } | change
    with pytest.raises(InvalidQuery):
        plan_team(PlanRequest(**fields))


def test_w6_sessions_start_on_the_grid_and_inside_the_window():
    request = team(10, 2, 1, seed=4)
    result = plan_team(request)
    for a in result.assignments:
        assert a.start % 15 == 0
        assert request.window.start <= a.start and a.end <= request.window.end
        assert from_minutes(a.start) - from_minutes(MONDAY) < timedelta(days=1)


def test_w6_nobody_to_place_is_still_a_plan():
    window, now = span("09:00", "12:00"), at("08:00")
    empty = plan_team(PlanRequest([], [person("c0")], window, now))
    assert (empty.assignments, empty.unplaced, empty.objective) == ([], [], 0.0)
    stranded = PlanRequest([person("a0", shifts=[])], [person("c0")], window, now)
    result = plan_team(stranded)
    assert_valid(stranded, result)
    assert [u.reason for u in result.unplaced] == [UnplacedReason.NO_FREE_TIME]
    assert result.status is PlanStatus.OPTIMAL


@pytest.mark.parametrize("engine", [PlanEngine.HIGHS, PlanEngine.GREEDY])
def test_w6_w8_higher_priority_agents_are_placed_first_when_not_everyone_fits(engine):
    # Room for one session; the due agent is the more constrained, whom the greedy would
    # otherwise place first. The overdue agent weighs twice as much (W8: overdue first).
    agents = [agent("due", "09:00", "09:30"), agent("overdue", "09:00", "12:00")]
    fields = {
        "agents": agents,
        "facilitators": [coach("c0")],
        "window": span("09:00", "12:00"),
        "now": at("08:00"),
        "max_per_facilitator_per_day": 1,
        "engine": engine,
    }
    unweighted = plan_team(PlanRequest(**fields))
    if engine is PlanEngine.GREEDY:
        assert [a.agent_id for a in unweighted.assignments] == ["due"]
    weighted_request = PlanRequest(**fields, priorities=[1.0, 2.0])
    weighted = plan_team(weighted_request)
    assert_valid(weighted_request, weighted)
    assert [a.agent_id for a in weighted.assignments] == ["overdue"]
    assert [(u.agent_id, u.reason) for u in weighted.unplaced] == [("due", UnplacedReason.CAPACITY)]
    assert weighted.objective == pytest.approx(weighted.impact + UNPLACED_PENALTY)
    assert weighted.lower_bound <= weighted.objective + 1e-6


@pytest.mark.parametrize("priorities", [[1.0], [1.0, 0.5]])
def test_w6_priorities_are_one_weight_of_at_least_one_per_agent(priorities):
    request = PlanRequest(
        [agent("a0"), agent("a1")], [coach("c0")], span("09:00", "12:00"), at("08:00"),
        priorities=priorities,
    )  # fmt: skip
    with pytest.raises(InvalidQuery):
        plan_team(request)
