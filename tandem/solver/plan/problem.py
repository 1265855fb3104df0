"""The team-planning problem as arrays: every (agent, facilitator, start) option that breaks no
W3 rule, built with the slot finder's own masks, plus what the engines need to price and limit
them."""

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from tandem.solver.availability import flatten, start_mask
from tandem.solver.minutes import GRID_MINUTES, from_minutes, to_minutes
from tandem.solver.plan.impact import cost_of, cost_table, sl_cost_table
from tandem.solver.plan.request import IntervalServiceLevel, PlanRequest
from tandem.solver.schedule import PersonSchedule
from tandem.solver.staffing import ServiceGoal, on_grid, on_queue_minutes, staffing_on_grid
from tandem.solver.validation import Grid, InvalidQuery, check_duration, clip_window, grid_for

UNPLACED_PENALTY = 10_000.0
"""Objective charge per unplaced agent: above any session's possible impact (at most 4
intervals x 64 x facilitators by headcount; by service level, 4 x (FLOOR_PRICE + contacts per
interval) while intervals have under 1,500 contacts), so placing one more agent always beats a
cheaper plan."""


@dataclass(frozen=True, eq=False)
class UnitVolume:
    """A business unit's volume on the grid, where its staffing has it (W6+)."""

    business_unit: str
    goal: ServiceGoal
    scheduled: np.ndarray
    contacts: np.ndarray
    aht: np.ndarray


@dataclass(frozen=True, eq=False)
class PlanProblem:
    grid: Grid
    duration_cells: int
    conflict_starts: int
    """Two sessions of one facilitator whose starts are fewer grid steps apart than this
    overlap, once the transition time is added to the first."""
    agent_ids: list[str]
    facilitator_ids: list[str]
    agent_has_time: np.ndarray
    """Per agent: does their own schedule allow any start at all."""
    opt_agent: np.ndarray
    opt_facilitator: np.ndarray
    opt_start: np.ndarray
    """Options sorted by agent, then start, then facilitator."""
    agent_first_option: np.ndarray
    """Options of agent ``a`` are ``agent_first_option[a] : agent_first_option[a + 1]``."""
    local_day: np.ndarray
    """``local_day[f, start]``: index of the facilitator's local calendar day of that start."""
    day_cap: int | None
    agent_unit: np.ndarray
    """Index into :attr:`unit_tables` of each agent's business unit."""
    removal: np.ndarray
    """``removal[a, cell]``: heads agent ``a`` takes off queue if coached during that cell."""
    unit_tables: list[np.ndarray]
    """Per business unit, :func:`cost_table` (or :func:`sl_cost_table`) over the grid cells."""
    unit_volumes: list[UnitVolume | None]
    """Per business unit (as :attr:`unit_tables`), its volume data, if any."""
    unplaced_penalty: np.ndarray
    """Per agent: the objective's charge for leaving them out (``UNPLACED_PENALTY`` times their
    priority)."""

    def options_of(self, agent: int) -> slice:
        return slice(self.agent_first_option[agent], self.agent_first_option[agent + 1])

    def restricted_to(self, options: np.ndarray) -> "PlanProblem":
        """The same problem with only the given (sorted) options."""
        return replace(
            self,
            opt_agent=self.opt_agent[options],
            opt_facilitator=self.opt_facilitator[options],
            opt_start=self.opt_start[options],
            agent_first_option=np.searchsorted(
                self.opt_agent[options], np.arange(len(self.agent_ids) + 1)
            ),
        )

    def alone_cost(self) -> np.ndarray:
        """Per option: its impact if it were the only session (a lower bound on its share)."""
        cells = self.opt_start[:, None] + np.arange(self.duration_cells)[None, :]
        heads = self.removal[self.opt_agent[:, None], cells]
        total = np.zeros(self.opt_agent.size)
        for unit, table in enumerate(self.unit_tables):
            mine = self.agent_unit[self.opt_agent] == unit
            for k in range(self.duration_cells):
                total[mine] += cost_of(table, heads[mine, k], cells[mine, k])
        return total


def build_problem(request: PlanRequest) -> PlanProblem:
    duration_cells = check_duration(request.duration)
    if request.transition_minutes < 0:
        raise InvalidQuery("transition_minutes must not be negative")
    if request.max_per_facilitator_per_day is not None and request.max_per_facilitator_per_day < 1:
        raise InvalidQuery("max_per_facilitator_per_day must be at least 1")
    if not request.facilitators:
        raise InvalidQuery("at least one facilitator is required")
    ids = [p.person_id for p in (*request.agents, *request.facilitators)]
    if len(set(ids)) != len(ids):
        raise InvalidQuery("each person may appear once, as agent or as facilitator")
    if request.priorities is None:
        priorities = np.ones(len(request.agents))
    else:
        priorities = np.asarray(request.priorities, dtype=float)
        if priorities.shape != (len(request.agents),) or not np.all(priorities >= 1):
            raise InvalidQuery("priorities: one weight of at least 1 for each agent")
    window = clip_window(request.window, request.now)
    grid = grid_for(window)
    n_starts = grid.start_count(duration_cells)
    agents = [flatten(p) for p in request.agents]
    agent_masks = np.array(
        [start_mask([av], grid, duration_cells) for av in agents], dtype=bool
    ).reshape(len(agents), n_starts)
    facilitator_masks = [
        start_mask([flatten(p)], grid, duration_cells) for p in request.facilitators
    ]
    parts = [np.nonzero(agent_masks & mask) for mask in facilitator_masks]
    opt_agent = np.concatenate([a for a, _ in parts]).astype(np.int64)
    opt_start = np.concatenate([s for _, s in parts]).astype(np.int64)
    opt_facilitator = np.concatenate(
        [np.full(a.size, f, dtype=np.int64) for f, (a, _) in enumerate(parts)]
    )
    order = np.lexsort((opt_facilitator, opt_start, opt_agent))
    opt_agent, opt_start, opt_facilitator = (
        opt_agent[order],
        opt_start[order],
        opt_facilitator[order],
    )

    staffing = request.staffing or {}
    units = sorted({p.business_unit or "" for p in request.agents})
    max_heads = len(request.facilitators) + 1
    tables: list[np.ndarray] = []
    volumes: list[UnitVolume | None] = []
    for unit in units:
        surplus = np.full(grid.cells, np.nan)
        curve = staffing.get(unit)
        if curve is None:
            tables.append(cost_table(surplus, max_heads))
            volumes.append(None)
            continue
        scheduled, forecast = staffing_on_grid(curve, grid)
        surplus = scheduled - forecast
        if curve.has_volume and curve.goal is not None:
            assert curve.contacts is not None and curve.aht_seconds is not None
            volume = UnitVolume(
                unit,
                curve.goal,
                scheduled,
                on_grid(curve.start, curve.contacts, grid),
                on_grid(curve.start, curve.aht_seconds, grid),
            )
            tables.append(
                sl_cost_table(
                    scheduled, volume.contacts, volume.aht, curve.goal, surplus, max_heads
                )
            )
            volumes.append(volume)
        else:
            tables.append(cost_table(surplus, max_heads))
            volumes.append(None)
    removal = np.array(
        [on_queue_minutes([av], grid) / GRID_MINUTES for av in agents], dtype=float
    ).reshape(len(agents), grid.cells)
    return PlanProblem(
        grid=grid,
        duration_cells=duration_cells,
        conflict_starts=-(-(request.duration + request.transition_minutes) // GRID_MINUTES),
        agent_ids=[p.person_id for p in request.agents],
        facilitator_ids=[p.person_id for p in request.facilitators],
        agent_has_time=agent_masks.any(axis=1),
        opt_agent=opt_agent,
        opt_facilitator=opt_facilitator,
        opt_start=opt_start,
        agent_first_option=np.searchsorted(opt_agent, np.arange(len(agents) + 1)),
        local_day=np.array(
            [_local_days(p, grid, n_starts) for p in request.facilitators], dtype=np.int64
        ).reshape(len(request.facilitators), n_starts),
        day_cap=request.max_per_facilitator_per_day,
        agent_unit=np.array([units.index(p.business_unit or "") for p in request.agents]),
        removal=removal,
        unit_tables=tables,
        unit_volumes=volumes,
        unplaced_penalty=UNPLACED_PENALTY * priorities,
    )


def _local_days(person: PersonSchedule, grid: Grid, n_starts: int) -> np.ndarray:
    """Local calendar day index of every start, from the person's IANA zone (DST-safe: days are
    cut at each local midnight, never at multiples of 24 h)."""
    try:
        zone = ZoneInfo(person.time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidQuery(f"{person.person_id}: unknown time zone {person.time_zone!r}") from error
    first = from_minutes(grid.origin).astimezone(zone).date()
    last = from_minutes(grid.origin + grid.cells * GRID_MINUTES).astimezone(zone).date()
    midnights = [
        to_minutes(datetime.combine(first + timedelta(days=i), time(), zone))
        for i in range((last - first).days + 1)
    ]
    starts = grid.origin + GRID_MINUTES * np.arange(n_starts)
    return np.searchsorted(np.array(midnights), starts, side="right") - 1


@dataclass(frozen=True)
class _Sessions:
    cells: np.ndarray
    """``cells[s, k]``: the k-th grid cell of chosen session ``s``."""
    heads: np.ndarray
    """Heads session ``s`` takes off queue in each of its cells."""
    units: np.ndarray
    """Business-unit index of each session's agent."""

    def total_heads(self, unit: int, n_cells: int) -> np.ndarray:
        """Heads off queue per cell of ``unit`` over all the chosen sessions."""
        mine = self.units == unit
        total = np.zeros(n_cells)
        np.add.at(total, self.cells[mine], self.heads[mine])
        return total


def _sessions(problem: PlanProblem, chosen: np.ndarray) -> _Sessions:
    agents = problem.opt_agent[chosen]
    cells = problem.opt_start[chosen][:, None] + np.arange(problem.duration_cells)[None, :]
    return _Sessions(cells, problem.removal[agents[:, None], cells], problem.agent_unit[agents])


def session_costs(problem: PlanProblem, chosen: np.ndarray) -> np.ndarray:
    """Each chosen session's share of the plan's impact: every (unit, cell) cost is split between
    the sessions there in proportion to the heads each takes off queue."""
    sessions = _sessions(problem, chosen)
    cells, heads, units = sessions.cells, sessions.heads, sessions.units
    shares = np.zeros(chosen.size)
    for unit, table in enumerate(problem.unit_tables):
        mine = units == unit
        total_heads = sessions.total_heads(unit, problem.grid.cells)
        cell_cost = cost_of(table, total_heads, slice(None))
        with np.errstate(invalid="ignore", divide="ignore"):
            per_head = np.where(total_heads > 0, cell_cost / total_heads, 0.0)
        shares[mine] = (per_head[cells[mine]] * heads[mine]).sum(axis=1)
    return shares


def predicted_service_levels(
    problem: PlanProblem, chosen: np.ndarray
) -> list[IntervalServiceLevel]:
    """Predicted SL before and after the plan in every interval with volume data where the plan
    takes agents off queue (elsewhere it changes nothing), by unit then time."""
    sessions = _sessions(problem, chosen)
    result = []
    for unit, volume in enumerate(problem.unit_volumes):
        if volume is None:
            continue
        off = sessions.total_heads(unit, problem.grid.cells)
        known = ~np.isnan(volume.contacts) & ~np.isnan(volume.aht) & ~np.isnan(volume.scheduled)
        cells = np.flatnonzero(known & (off > 0))
        queue = volume.goal.predict(
            np.concatenate((volume.scheduled[cells], volume.scheduled[cells] - off[cells])),
            np.tile(volume.contacts[cells], 2),
            np.tile(volume.aht[cells], 2),
        )
        m = cells.size
        breached = volume.goal.breached(queue.service_level[m:], volume.contacts[cells])
        for i, cell in enumerate(cells.tolist()):
            before = float(queue.service_level[i]) * 100
            after = float(queue.service_level[m + i]) * 100
            result.append(
                IntervalServiceLevel(
                    business_unit=volume.business_unit,
                    interval_start=problem.grid.origin + cell * GRID_MINUTES,
                    contacts=float(volume.contacts[cell]),
                    heads_off=float(off[cell]),
                    before_percent=before,
                    after_percent=after,
                    below_floor=bool(breached[i]),
                )
            )
    return result
