"""The team plan as a 0/1 model over agent starts and facilitator starts, solved by HiGHS.

Any facilitator free at a start can coach any agent free at it (options are the product of
the two masks), so which facilitator coaches whom needs no variable of its own. Columns:

* ``x[a, s]``: agent ``a`` is coached at start ``s`` (the agent's mask and some facilitator's);
* ``z[f, s]``: facilitator ``f`` holds a session at ``s``;
* ``y[u, c, k]`` in [0, 1]: the k-th head of business unit ``u`` off queue in cell ``c``.

Rows: one session per agent (exactly one when the greedy plan shows every agent with an option
can be placed); per start, sessions there <= facilitators holding one (``sum x - sum z <= 0``);
per facilitator and start, at most one session among the starts that would collide there (clique
rows over the session plus transition time); per facilitator and local day, at most the daily
cap; per (unit, cell), heads off queue <= the ``y`` that price them (``impact.py``).

This is the option model (one column per agent x facilitator x start) with the facilitator
choice projected out, exactly: an integral ``(x, z)`` pairs agents and facilitators start by
start, and any fractional option solution aggregates to an ``(x, z)`` of the same cost and back
(a transportation problem per start), so the LP bound is the same. It is what makes large teams
solvable: 1,000 agents x 20 facilitators x 2 weeks have 1.2 million options but 95,000 agent
starts and 5,000 facilitator starts (``bench/solver_plan.py --scale``).

``highspy`` rather than ortools' ``pywraplp``: the model goes in as numpy arrays (0.3 s against
4 s of per-coefficient calls for that instance), and the MIP takes a starting plan, which
``pywraplp``'s HiGHS interface crashed on.
"""

import contextlib
import os
import time
from dataclasses import dataclass

import highspy
import numpy as np

from tandem.solver.plan.problem import PlanProblem

INTEGRALITY_TOLERANCE = 1e-6
"""LP values this close to 0 or 1 count as integral; above it an option is in the LP support."""


def _first_highs_quietly() -> None:
    """HiGHS prints its banner on stdout when the first solver object of a process is made,
    whatever the options; made here, at import and before any thread, with stdout closed."""
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


with contextlib.suppress(OSError):
    _first_highs_quietly()


@dataclass(frozen=True)
class Relaxation:
    bound: float
    """The LP optimum: no plan costs less."""
    option_values: np.ndarray
    """Per option, its share of the LP solution (``x[a, s]`` split over the facilitators in
    proportion to ``z[f, s]``): the order rounding takes options in, and the LP support."""
    plan: np.ndarray | None
    """The chosen options when ``x`` and ``z`` came out integral: then the plan is optimal."""


class TeamModel:
    """The model built once, solved as an LP and, if need be, as a MIP."""

    def __init__(self, problem: PlanProblem, place_all: bool) -> None:
        """``place_all``: every agent with an option can be placed at once (the greedy did it),
        so the agent rows become equalities and the unplaced penalty, which only blurs the LP,
        disappears from the model."""
        started = time.perf_counter()
        self._problem = p = problem
        self._span = n_starts = p.local_day.shape[1]
        n_facilitators = len(p.facilitator_ids)
        agent_start = p.opt_agent * n_starts + p.opt_start
        first = np.append(True, agent_start[1:] != agent_start[:-1])
        self._x_key = agent_start[first]
        self._x_agent, self._x_start = p.opt_agent[first], p.opt_start[first]
        self._z_key = np.unique(p.opt_facilitator * n_starts + p.opt_start)
        self._z_facilitator, self._z_start = np.divmod(self._z_key, n_starts)
        self._option_key = agent_start * n_facilitators + p.opt_facilitator
        # Each option's x and z column, for its share of an LP solution.
        self._option_x = np.searchsorted(self._x_key, agent_start)
        self._option_z = np.searchsorted(self._z_key, p.opt_facilitator * n_starts + p.opt_start)
        nx, nz = self._x_key.size, self._z_key.size
        self._nx, self._nz = nx, nz

        rows = _Rows()
        with_options = np.flatnonzero(np.diff(p.agent_first_option) > 0)
        rows.add_groups(np.searchsorted(with_options, self._x_agent), np.arange(nx))
        rows.bounds(with_options.size, 1.0 if place_all else 0.0, 1.0)
        starts = np.unique(self._x_start)
        linked = rows.count
        rows.add_groups(np.searchsorted(starts, self._x_start), np.arange(nx))
        rows.add(linked + np.searchsorted(starts, self._z_start), nx + np.arange(nz), -1.0)
        rows.bounds(starts.size, -np.inf, 0.0)
        self._add_facilitator_rows(rows)
        y_cost = self._add_impact_rows(rows)

        cost = np.zeros(nx + nz + y_cost.size)
        cost[nx + nz :] = y_cost
        offset = float(p.unplaced_penalty.sum())
        if place_all:
            offset -= float(p.unplaced_penalty[with_options].sum())
        else:
            cost[:nx] = -p.unplaced_penalty[self._x_agent]
        self._lp = rows.model(cost, offset)
        self.build_seconds = time.perf_counter() - started

    def solve_relaxation(self, deadline: float) -> Relaxation | None:
        """The LP optimum, or None if not reached in time."""
        highs = self._highs(deadline)
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        values = np.asarray(highs.getSolution().col_value)
        x, z = values[: self._nx], values[self._nx : self._nx + self._nz]
        share = np.zeros(z.size)
        held = np.bincount(self._z_start, weights=z, minlength=self._span)
        np.divide(z, held[self._z_start], out=share, where=held[self._z_start] > 0)
        option_values = x[self._option_x] * share[self._option_z]
        plan = self._plan(x, z) if _integral(values[: self._nx + self._nz]) else None
        return Relaxation(highs.getInfo().objective_function_value, option_values, plan)

    def solve_integer(
        self, deadline: float, relative_gap: float, start: np.ndarray
    ) -> tuple[np.ndarray | None, float]:
        """Chosen options of the best integral plan found (None if none) and the proven bound;
        ``start`` (a valid plan) is where HiGHS begins."""
        highs = self._highs(deadline)
        binaries = self._nx + self._nz
        highs.changeColsIntegrality(
            binaries,
            np.arange(binaries, dtype=np.int32),
            np.full(binaries, highspy.HighsVarType.kInteger.value, dtype=np.uint8),
        )
        highs.setOptionValue("mip_rel_gap", relative_gap)
        solution = highspy.HighsSolution()
        solution.col_value = self._columns_of(start)
        highs.setSolution(solution)
        highs.run()
        info = highs.getInfo()
        if info.primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
            return None, -np.inf
        values = np.asarray(highs.getSolution().col_value)
        return self._plan(values[: self._nx], values[self._nx : binaries]), info.mip_dual_bound

    def _highs(self, deadline: float) -> highspy.Highs:
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("time_limit", max(1e-3, deadline - time.perf_counter()))
        highs.passModel(self._lp)
        return highs

    def _plan(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        """The options of an integral ``(x, z)``: at each start, the agents there with the
        facilitators there, in order."""
        agents = np.flatnonzero(x > 0.5)
        facilitators = np.flatnonzero(z > 0.5)
        agents = agents[np.argsort(self._x_start[agents], kind="stable")]
        facilitators = facilitators[np.argsort(self._z_start[facilitators], kind="stable")]
        agent_starts, facilitator_starts = self._x_start[agents], self._z_start[facilitators]
        rank = np.arange(agents.size) - np.searchsorted(agent_starts, agent_starts)
        partner = facilitators[np.searchsorted(facilitator_starts, agent_starts) + rank]
        n_facilitators = len(self._problem.facilitator_ids)
        keys = self._x_key[agents] * n_facilitators + self._z_facilitator[partner]
        return np.sort(np.searchsorted(self._option_key, keys))

    def _columns_of(self, plan: np.ndarray) -> np.ndarray:
        p = self._problem
        columns = np.zeros(self._lp.num_col_)
        agent_start = p.opt_agent[plan] * self._span + p.opt_start[plan]
        columns[np.searchsorted(self._x_key, agent_start)] = 1.0
        facilitator_start = p.opt_facilitator[plan] * self._span + p.opt_start[plan]
        columns[self._nx + np.searchsorted(self._z_key, facilitator_start)] = 1.0
        heads = np.zeros(self._impact_groups)
        in_plan = np.isin(self._impact_x, np.searchsorted(self._x_key, agent_start))
        np.add.at(heads, self._impact_group[in_plan], self._impact_heads[in_plan])
        # The k-th head of a group is filled when more than k heads are off queue there.
        columns[self._nx + self._nz :] = np.clip(heads[self._y_group] - self._y_rank, 0.0, 1.0)
        return columns

    def _add_facilitator_rows(self, rows: "_Rows") -> None:
        p = self._problem
        reach = p.conflict_starts
        # z is sorted by facilitator, then start. A clique row at each facilitator start s holds
        # that facilitator's starts in (s - reach, s]: any two collide, and every colliding pair
        # shares the row of the later start. Windows only move right, so one is inside the next
        # whenever both share a left end: only the last of those is kept. Keys of different
        # facilitators are at least ``span`` apart, so no window crosses into another's.
        lows = np.searchsorted(self._z_key, self._z_key - reach + 1)
        highs = np.arange(1, self._nz + 1)
        keep = np.append(lows[1:] != lows[:-1], True) & (highs - lows >= 2)
        lows, highs = lows[keep], highs[keep]
        sizes = highs - lows
        members = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes - lows, sizes)
        rows.add(rows.count + np.repeat(np.arange(sizes.size), sizes), self._nx + members, 1.0)
        rows.bounds(sizes.size, -np.inf, 1.0)
        if p.day_cap is None:
            return
        day = p.local_day[self._z_facilitator, self._z_start]
        _, group_of, sizes = np.unique(
            self._z_facilitator * (int(day.max(initial=0)) + 1) + day,
            return_inverse=True,
            return_counts=True,
        )
        over = sizes > p.day_cap
        capped = np.flatnonzero(over[group_of])
        rows.add_groups(np.cumsum(over)[group_of[capped]] - 1, self._nx + capped)
        rows.bounds(int(over.sum()), -np.inf, float(p.day_cap))

    def _add_impact_rows(self, rows: "_Rows") -> np.ndarray:
        """Per (unit, cell): heads off queue <= y_1 + ... + y_K, each y in [0, 1] and the k-th
        priced at the k-th head's price; K is the most heads that can be off queue there (the
        facilitators, or the agents who could be). Prices rise with k, so the LP fills them in
        order and the objective is exactly the convex cost of ``impact.py``. Returns the
        y columns' costs."""
        p = self._problem
        d = p.duration_cells
        x = np.repeat(np.arange(self._nx), d)
        cell = (self._x_start[:, None] + np.arange(d)[None, :]).ravel()
        agent = self._x_agent[x]
        heads = p.removal[agent, cell]
        unit = p.agent_unit[agent]
        off = heads > 0
        x, cell, heads, unit, agent = x[off], cell[off], heads[off], unit[off], agent[off]
        keys, group = np.unique(unit * p.grid.cells + cell, return_inverse=True)
        self._impact_x, self._impact_group, self._impact_heads = x, group, heads
        self._impact_groups = keys.size
        rows.add(rows.count + group, x, heads)
        first_of_agent = np.unique(group * len(p.agent_ids) + agent) // len(p.agent_ids)
        most = np.minimum(np.bincount(first_of_agent, minlength=keys.size), len(p.facilitator_ids))
        self._y_group = np.repeat(np.arange(keys.size), most)
        self._y_rank = np.arange(self._y_group.size) - np.repeat(np.cumsum(most) - most, most)
        y_columns = self._nx + self._nz + np.arange(self._y_group.size)
        rows.add(rows.count + self._y_group, y_columns, -1.0)
        rows.bounds(keys.size, -np.inf, 0.0)
        group_unit, group_cell = np.divmod(keys, p.grid.cells)
        costs = np.empty(self._y_group.size)
        for u, table in enumerate(p.unit_tables):
            mine = group_unit[self._y_group] == u
            prices = np.diff(table, axis=1)
            costs[mine] = prices[group_cell[self._y_group[mine]], self._y_rank[mine]]
        return costs


class _Rows:
    """The constraint matrix gathered as (row, column, value) triplets."""

    def __init__(self) -> None:
        self.count = 0
        self._entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._lower: list[np.ndarray] = []
        self._upper: list[np.ndarray] = []

    def add(self, rows: np.ndarray, columns: np.ndarray, values: np.ndarray | float) -> None:
        self._entries.append((rows, columns, np.broadcast_to(values, rows.shape)))

    def add_groups(self, group: np.ndarray, columns: np.ndarray) -> None:
        """Rows ``count + group`` with coefficient 1 on their columns."""
        self.add(self.count + group, columns, 1.0)

    def bounds(self, n: int, lower: float, upper: float) -> None:
        """Close the ``n`` rows added since the last call with these bounds."""
        self._lower.append(np.full(n, lower))
        self._upper.append(np.full(n, upper))
        self.count += n

    def model(self, cost: np.ndarray, offset: float) -> highspy.HighsLp:
        parts = zip(*self._entries, strict=True)
        rows, columns, values = (np.concatenate(part) for part in parts)
        order = np.lexsort((rows, columns))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = cost.size, self.count
        lp.col_cost_, lp.offset_ = cost, offset
        lp.col_lower_, lp.col_upper_ = np.zeros(cost.size), np.ones(cost.size)
        lp.row_lower_, lp.row_upper_ = np.concatenate(self._lower), np.concatenate(self._upper)
        matrix = lp.a_matrix_
        matrix.format_ = highspy.MatrixFormat.kColwise
        matrix.num_col_, matrix.num_row_ = cost.size, self.count
        matrix.start_ = np.searchsorted(columns[order], np.arange(cost.size + 1))
        matrix.index_ = rows[order]
        matrix.value_ = values[order]
        return lp


def _integral(values: np.ndarray) -> bool:
    return bool(np.all(np.abs(values - np.round(values)) <= INTEGRALITY_TOLERANCE))
