"""Team planner entry point (W6).

Pipeline, every step inside ``time_limit_seconds``:

1. options: every (agent, facilitator, start) the slot finder's masks allow (``problem.py``);
2. greedy baseline (milliseconds): the fallback and the figure the optimum is compared with;
3. HiGHS LP relaxation of the model over agent and facilitator starts (``mip.py``): the lower
   bound, and the plan itself when integral (as it came out on every bench instance, up to
   2,000 agents x 40 facilitators x 4 weeks);
4. otherwise LP rounding plus local search, then a MIP restricted to a neighbourhood of the LP
   (its support, the best plan so far and each agent's few cheapest options), which HiGHS
   solves in tenths of a second, usually right onto the LP bound;
5. only if that is still not within ``relative_gap``: the full MIP, from the best plan so far,
   with the time left.
"""

import time

import numpy as np

from tandem.solver.minutes import GRID_MINUTES
from tandem.solver.plan.greedy import improve, plan_greedily
from tandem.solver.plan.mip import INTEGRALITY_TOLERANCE, TeamModel
from tandem.solver.plan.problem import (
    PlanProblem,
    build_problem,
    predicted_service_levels,
    session_costs,
)
from tandem.solver.plan.request import (
    Assignment,
    PlanEngine,
    PlanRequest,
    PlanResult,
    PlanStatus,
    Unplaced,
    UnplacedReason,
)

EARLIEST_SECONDS = 1.0
"""Time the local search may take, after HiGHS, to move sessions earlier at no extra cost (a
few sweeps of tens of milliseconds for 1,000 agents)."""
NEIGHBOURHOOD_CHEAPEST = 5
"""Each agent's this many cheapest options (alone) join the LP support in the restricted MIP."""


def plan_team(request: PlanRequest) -> PlanResult:
    """Place one session per agent; never raises for lack of time, only for a malformed request
    (:class:`~tandem.solver.InvalidQuery`). Agents that cannot be placed come back in
    ``unplaced`` with the reason."""
    started = time.perf_counter()
    problem = build_problem(request)
    options_done = time.perf_counter()
    greedy = plan_greedily(problem)
    greedy_done = time.perf_counter()
    greedy_objective = plan_objective(problem, greedy)
    timings = {"options": options_done - started, "greedy": greedy_done - options_done}

    chosen, engine, status = greedy, PlanEngine.GREEDY, PlanStatus.FEASIBLE
    lower_bound = _simple_lower_bound(problem)
    if request.engine is PlanEngine.HIGHS:
        deadline = started + request.time_limit_seconds
        found, proven = _solve_with_highs(problem, greedy, deadline, request, timings)
        lower_bound = max(lower_bound, proven)
        if found is not None:
            # HiGHS returns any of several equally good plans; this picks the earliest one.
            found = improve(problem, found, time.perf_counter() + EARLIEST_SECONDS)
        if found is not None and plan_objective(problem, found) <= greedy_objective:
            chosen, engine = found, PlanEngine.HIGHS
        else:
            status = PlanStatus.FALLBACK
        objective = plan_objective(problem, chosen)
        if objective - lower_bound <= request.relative_gap * abs(objective):
            status = PlanStatus.OPTIMAL

    costs = session_costs(problem, chosen)
    duration = problem.duration_cells * GRID_MINUTES
    assignments = []
    for option, cost in zip(chosen.tolist(), costs.tolist(), strict=True):
        start = problem.grid.origin + int(problem.opt_start[option]) * GRID_MINUTES
        assignments.append(
            Assignment(
                agent_id=problem.agent_ids[problem.opt_agent[option]],
                facilitator_id=problem.facilitator_ids[problem.opt_facilitator[option]],
                start=start,
                end=start + duration,
                cost=cost,
            )
        )
    unplaced = _unplaced(problem, chosen)
    impact = float(costs.sum())
    penalties = _unplaced_penalties(problem, chosen)
    timings["total"] = time.perf_counter() - started
    return PlanResult(
        assignments=sorted(assignments, key=lambda a: (a.start, a.facilitator_id)),
        unplaced=unplaced,
        status=status,
        engine=engine,
        objective=impact + penalties,
        impact=impact,
        lower_bound=min(lower_bound, impact + penalties),
        greedy_objective=greedy_objective,
        timings=timings,
        service_levels=predicted_service_levels(problem, chosen),
    )


def _solve_with_highs(
    problem: PlanProblem,
    greedy: np.ndarray,
    deadline: float,
    request: PlanRequest,
    timings: dict[str, float],
) -> tuple[np.ndarray | None, float]:
    """Best plan found through HiGHS (None if the LP did not finish in time) and the bound."""
    if time.perf_counter() >= deadline:
        return None, -np.inf
    if problem.opt_agent.size == 0:
        return greedy, -np.inf
    place_all = _places_everyone_possible(problem, greedy)
    model = TeamModel(problem, place_all)
    timings["build"] = model.build_seconds
    solving = time.perf_counter()
    try:
        relaxation = model.solve_relaxation(deadline)
        timings["relaxation"] = time.perf_counter() - solving
        if relaxation is None:
            return None, -np.inf
        lower_bound = relaxation.bound
        if relaxation.plan is not None:
            return relaxation.plan, lower_bound

        def good_enough(plan: np.ndarray) -> bool:
            value = plan_objective(problem, plan)
            return value - lower_bound <= request.relative_gap * abs(value)

        values = relaxation.option_values
        best = min(
            (greedy, improve(problem, plan_greedily(problem, values), deadline)),
            key=lambda plan: plan_objective(problem, plan),
        )
        if good_enough(best):
            return best, lower_bound
        mip_started = time.perf_counter()
        neighbourhood = _neighbourhood(problem, values, best)
        local, _ = TeamModel(problem.restricted_to(neighbourhood), place_all).solve_integer(
            deadline, request.relative_gap, np.searchsorted(neighbourhood, best)
        )
        if local is not None:
            local = improve(problem, neighbourhood[local], deadline)
            if plan_objective(problem, local) < plan_objective(problem, best):
                best = local
        timings["mip"] = time.perf_counter() - mip_started
        if good_enough(best) or time.perf_counter() >= deadline:
            return best, lower_bound
        found, proven = model.solve_integer(deadline, request.relative_gap, best)
        timings["mip"] = time.perf_counter() - mip_started
        if found is not None and plan_objective(problem, found) < plan_objective(problem, best):
            best = found
        return best, max(lower_bound, proven)
    finally:
        timings["solve"] = time.perf_counter() - solving


def _places_everyone_possible(problem: PlanProblem, plan: np.ndarray) -> bool:
    placed = np.zeros(len(problem.agent_ids), dtype=bool)
    placed[problem.opt_agent[plan]] = True
    return bool(np.all(placed | (np.diff(problem.agent_first_option) == 0)))


def _neighbourhood(problem: PlanProblem, values: np.ndarray, best: np.ndarray) -> np.ndarray:
    alone = problem.alone_cost()
    keep = values > INTEGRALITY_TOLERANCE
    keep[best] = True
    for agent in range(len(problem.agent_ids)):
        options = problem.options_of(agent)
        cheapest = np.argsort(alone[options], kind="stable")[:NEIGHBOURHOOD_CHEAPEST]
        keep[options.start + cheapest] = True
    return np.flatnonzero(keep)


def _unplaced_penalties(problem: PlanProblem, chosen: np.ndarray) -> float:
    left_out = np.ones(len(problem.agent_ids), dtype=bool)
    left_out[problem.opt_agent[chosen]] = False
    return float(problem.unplaced_penalty[left_out].sum())


def plan_objective(problem: PlanProblem, chosen: np.ndarray) -> float:
    return float(session_costs(problem, chosen).sum()) + _unplaced_penalties(problem, chosen)


def _simple_lower_bound(problem: PlanProblem) -> float:
    """Each agent at its cheapest option as if alone (the cost is superadditive, so sharing an
    interval never makes it cheaper), or the unplaced penalty for agents with no option."""
    alone = problem.alone_cost()
    best = problem.unplaced_penalty.copy()
    np.minimum.at(best, problem.opt_agent, alone)
    return float(best.sum())


def _unplaced(problem: PlanProblem, chosen: np.ndarray) -> list[Unplaced]:
    placed = set(problem.opt_agent[chosen].tolist())
    result = []
    for agent, agent_id in enumerate(problem.agent_ids):
        if agent in placed:
            continue
        options = problem.options_of(agent)
        if not problem.agent_has_time[agent]:
            reason = UnplacedReason.NO_FREE_TIME
            message = f"{agent_id} has no free time in the window that fits the session"
        elif options.stop == options.start:
            reason = UnplacedReason.NO_FACILITATOR
            message = f"no facilitator is free at any of {agent_id}'s free times"
        else:
            reason = UnplacedReason.CAPACITY
            message = (
                f"{agent_id}'s {options.stop - options.start} possible sessions all clash with "
                "other agents' sessions or facilitators' daily caps"
            )
        result.append(Unplaced(agent_id, reason, message))
    return result
