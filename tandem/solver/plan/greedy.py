"""Greedy placement and local search.

``plan_greedily`` without an LP is the baseline that always returns a valid plan in milliseconds
(the fallback and the yardstick for the optimum); with one it rounds the LP relaxation.
``improve`` polishes a plan by moving one session at a time.
"""

import time

import numpy as np

from tandem.solver.plan.impact import cost_of
from tandem.solver.plan.mip import INTEGRALITY_TOLERANCE
from tandem.solver.plan.problem import PlanProblem

_IMPROVEMENT = 1e-9


class _PlanState:
    """Sessions placed so far: facilitator occupancy, daily counts, heads off queue."""

    def __init__(self, problem: PlanProblem) -> None:
        self.problem = problem
        n_facilitators, n_starts = problem.local_day.shape
        self.taken = np.zeros((n_facilitators, n_starts), dtype=np.int64)
        self.per_day = np.zeros(
            (n_facilitators, int(problem.local_day.max(initial=0)) + 1), dtype=np.int64
        )
        self.heads = [np.zeros(problem.grid.cells) for _ in problem.unit_tables]
        self.placed = np.zeros(len(problem.agent_ids), dtype=bool)

    def possible(self, options: np.ndarray | slice) -> np.ndarray:
        p = self.problem
        facilitator, start = p.opt_facilitator[options], p.opt_start[options]
        ok = self.taken[facilitator, start] == 0
        if p.day_cap is not None:
            ok &= self.per_day[facilitator, p.local_day[facilitator, start]] < p.day_cap
        return ok

    def marginal_cost_by_start(self, agent: int) -> np.ndarray:
        """Extra impact of coaching ``agent`` at each start, given the sessions placed."""
        p = self.problem
        unit = p.agent_unit[agent]
        table, heads = p.unit_tables[unit], self.heads[unit]
        every = slice(None)
        extra = cost_of(table, heads + p.removal[agent], every) - cost_of(table, heads, every)
        return np.convolve(extra, np.ones(p.duration_cells), mode="valid")

    def place(self, option: int) -> None:
        self._apply(option, +1)

    def remove(self, option: int) -> None:
        self._apply(option, -1)

    def cheapest(self, agent: int) -> tuple[int, float] | None:
        """The agent's cheapest still-possible option and its marginal cost (earliest start,
        then first facilitator, on ties), or None."""
        p = self.problem
        options = p.options_of(agent)
        possible = self.possible(options)
        if not possible.any():
            return None
        cost = np.where(possible, self.marginal_cost_by_start(agent)[p.opt_start[options]], np.inf)
        best = int(np.flatnonzero(cost == cost.min())[0])
        return options.start + best, float(cost[best])

    def _apply(self, option: int, sign: int) -> None:
        p = self.problem
        agent, f, s = p.opt_agent[option], p.opt_facilitator[option], p.opt_start[option]
        reach = p.conflict_starts
        self.taken[f, max(0, s - reach + 1) : s + reach] += sign
        self.per_day[f, p.local_day[f, s]] += sign
        cells = slice(s, s + p.duration_cells)
        self.heads[p.agent_unit[agent]][cells] += sign * p.removal[agent, cells]
        self.placed[agent] = sign > 0


def plan_greedily(problem: PlanProblem, relaxation: np.ndarray | None = None) -> np.ndarray:
    """Indices of the chosen options, sorted.

    With an LP ``relaxation``, options are first taken in decreasing order of their LP value
    whenever still possible (rounding). Then agents left, highest priority first and then fewest
    options first (the easiest to strand), each take their cheapest still-possible option priced
    by marginal impact; ties go to the earliest start, then the first facilitator.
    """
    state = _PlanState(problem)
    chosen = []
    if relaxation is not None:
        support = np.flatnonzero(relaxation > INTEGRALITY_TOLERANCE)
        for option in support[np.argsort(-relaxation[support], kind="stable")].tolist():
            if not state.placed[problem.opt_agent[option]] and state.possible([option])[0]:
                state.place(option)
                chosen.append(option)
    option_counts = np.diff(problem.agent_first_option)
    # Higher priority first (W8: overdue before due), then fewest options.
    for agent in np.lexsort((option_counts, -problem.unplaced_penalty)).tolist():
        best = None if state.placed[agent] else state.cheapest(agent)
        if best is not None:
            state.place(best[0])
            chosen.append(best[0])
    return np.array(sorted(chosen), dtype=np.int64)


def improve(problem: PlanProblem, chosen: np.ndarray, deadline: float) -> np.ndarray:
    """Local search: move one session at a time to the agent's cheapest option given all the
    others, while that strictly lowers the impact, or keeps it and starts earlier (so of equally
    good plans the one coaching sooner comes back, as the greedy would), until no move helps or
    time runs out."""
    state = _PlanState(problem)
    current = {int(problem.opt_agent[o]): int(o) for o in chosen}
    for option in current.values():
        state.place(option)
    moved = True
    while moved and time.perf_counter() < deadline:
        moved = False
        for agent, option in current.items():
            state.remove(option)
            stay = float(state.marginal_cost_by_start(agent)[problem.opt_start[option]])
            best = state.cheapest(agent)
            if best is not None and (
                best[1] < stay - _IMPROVEMENT
                or (best[1] <= stay and problem.opt_start[best[0]] < problem.opt_start[option])
            ):
                option = best[0]
                current[agent] = option
                moved = True
            state.place(option)
    return np.array(sorted(current.values()), dtype=np.int64)
