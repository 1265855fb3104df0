"""Time-indexed 0/1 model of the team plan, solved by HiGHS through ``pywraplp``.

One variable per (agent, facilitator, start) option, already filtered by the slot finder's
masks, so W3 holds by construction. Rows: at most one session per agent (exactly one when the
greedy plan shows every agent with an option can be placed); per facilitator and start, at most
one session among the options that would collide there (clique rows over the session plus
transition time); per facilitator and local day, at most the daily cap; per (business unit,
interval), heads off queue <= the per-head variables that price them (``impact.py``).

How the planner drives it (LP, rounding, a MIP over an LP neighbourhood, then the full MIP) is in
``planner.py``. Notes on the ortools 9.15 HiGHS interface: ``SetHint`` crashes it (no warm
start), ``dual_value`` returns row activities and ``reduced_cost`` zeros (no reduced-cost
fixing), and solver-specific parameters are rejected (no heuristic tuning).
"""

import time

import numpy as np
from ortools.linear_solver import pywraplp

from tandem.solver.plan.problem import PlanProblem

INTEGRALITY_TOLERANCE = 1e-6
"""LP values this close to 0 or 1 count as integral; above it an option is in the LP support."""


class TeamModel:
    """The model built once, solved as an LP and, if need be, as a MIP."""

    def __init__(self, problem: PlanProblem, place_all: bool) -> None:
        """``place_all``: every agent with an option can be placed at once (the greedy did it),
        so the agent rows become equalities and the unplaced penalty, which only blurs the LP,
        disappears from the model."""
        started = time.perf_counter()
        self._solver = solver = pywraplp.Solver.CreateSolver("HIGHS")
        solver.SuppressOutput()
        # SuppressOutput leaves HiGHS printing its banner on stdout at every solve.
        solver.SetSolverSpecificParametersAsString("output_flag=false\n")
        n_options = problem.opt_agent.size
        self._x = [solver.NumVar(0, 1, "") for _ in range(n_options)]
        self._costs = np.zeros(n_options)
        self._objective = objective = solver.Objective()
        penalty = problem.unplaced_penalty
        objective.SetOffset(float(penalty.sum()))

        for agent in range(len(problem.agent_ids)):
            options = np.arange(*problem.options_of(agent).indices(n_options))
            if place_all and options.size:
                self._row(1, 1, options)
                objective.SetOffset(objective.offset() - float(penalty[agent]))
            elif options.size:
                self._row(0, 1, options)
                self._costs[options] = -penalty[agent]
        self._add_facilitator_rows(problem)
        self._add_impact_rows(problem)
        for var, cost in zip(self._x, self._costs.tolist(), strict=True):
            if cost:
                objective.SetCoefficient(var, cost)
        objective.SetMinimization()
        self.build_seconds = time.perf_counter() - started

    def solve_relaxation(self, deadline: float) -> tuple[np.ndarray, float] | None:
        """Option values and objective of the LP optimum, or None if not reached in time."""
        self._solver.SetTimeLimit(_milliseconds_until(deadline))
        if self._solver.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        return self._values(), self._objective.Value()

    def solve_integer(
        self, deadline: float, relative_gap: float
    ) -> tuple[np.ndarray | None, float]:
        """Chosen options of the best integral plan found (None if none) and the proven bound."""
        for var in self._x:
            var.SetInteger(True)
        self._solver.SetTimeLimit(_milliseconds_until(deadline))
        params = pywraplp.MPSolverParameters()
        params.SetDoubleParam(params.RELATIVE_MIP_GAP, relative_gap)
        status = self._solver.Solve(params)
        if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return None, -np.inf
        return np.flatnonzero(self._values() > 0.5), self._objective.BestBound()

    def _values(self) -> np.ndarray:
        return np.array([var.solution_value() for var in self._x])

    def _row(
        self, low: float, high: float, columns: np.ndarray, coefficients: np.ndarray | None = None
    ) -> pywraplp.Constraint:
        coefficients = np.ones(columns.size) if coefficients is None else coefficients
        row = self._solver.RowConstraint(low, high, "")
        for column, coefficient in zip(columns.tolist(), coefficients.tolist(), strict=True):
            row.SetCoefficient(self._x[column], coefficient)
        return row

    def _add_facilitator_rows(self, problem: PlanProblem) -> None:
        reach = problem.conflict_starts
        for f in range(len(problem.facilitator_ids)):
            mine = np.flatnonzero(problem.opt_facilitator == f)
            order = mine[np.argsort(problem.opt_start[mine], kind="stable")]
            starts = problem.opt_start[order]
            # A clique row at each distinct start s holds every option starting in
            # (s - reach, s]: any two collide, and every colliding pair shares the row of the
            # later start. Windows only move right, so one is inside the next whenever both
            # share a left end: only the last of those is kept.
            distinct = np.unique(starts)
            lows = np.searchsorted(starts, distinct - reach + 1)
            highs = np.searchsorted(starts, distinct, side="right")
            keep = np.append(lows[1:] != lows[:-1], True) & (highs - lows >= 2)
            for low, high in zip(lows[keep].tolist(), highs[keep].tolist(), strict=True):
                self._row(0, 1, order[low:high])
            if problem.day_cap is not None:
                days = problem.local_day[f, starts]
                for day in np.unique(days).tolist():
                    members = order[days == day]
                    if members.size > problem.day_cap:
                        self._row(0, problem.day_cap, members)

    def _add_impact_rows(self, problem: PlanProblem) -> None:
        """Per (unit, cell): heads off queue <= y_1 + ... + y_K, each y in [0, 1] and the k-th
        priced at the k-th head's price. Prices rise with k, so the LP fills them in order and
        the objective is exactly the convex cost of ``impact.py``."""
        d = problem.duration_cells
        option = np.repeat(np.arange(problem.opt_agent.size), d)
        cell = (problem.opt_start[:, None] + np.arange(d)[None, :]).ravel()
        heads = problem.removal[problem.opt_agent[option], cell]
        unit = problem.agent_unit[problem.opt_agent[option]]
        order = np.flatnonzero(heads > 0)
        order = order[np.lexsort((cell[order], unit[order]))]
        if order.size == 0:
            return
        option, cell, heads, unit = (a[order] for a in (option, cell, heads, unit))
        new_group = (unit[1:] != unit[:-1]) | (cell[1:] != cell[:-1])
        group_starts = np.flatnonzero(np.append(True, new_group))
        group_ends = np.append(group_starts[1:], order.size)
        agents = problem.opt_agent[option]
        most = len(problem.facilitator_ids)
        for low, high in zip(group_starts.tolist(), group_ends.tolist(), strict=True):
            prices = np.diff(problem.unit_tables[unit[low]][cell[low]])
            row = self._row(-self._solver.infinity(), 0, option[low:high], heads[low:high])
            for k in range(min(most, np.unique(agents[low:high]).size)):
                y = self._solver.NumVar(0, 1, "")
                row.SetCoefficient(y, -1)
                self._objective.SetCoefficient(y, float(prices[k]))


def integral(values: np.ndarray) -> bool:
    return bool(np.all(np.abs(values - np.round(values)) <= INTEGRALITY_TOLERANCE))


def _milliseconds_until(deadline: float) -> int:
    # pywraplp reads 0 as "no limit": always leave HiGHS at least a millisecond.
    return max(1, int((deadline - time.perf_counter()) * 1000))
