"""Input and output of the team planner (W6)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from tandem.solver.schedule import PersonSchedule, Span
from tandem.solver.staffing import Staffing

DEFAULT_TIME_LIMIT_SECONDS = 10.0
DEFAULT_RELATIVE_GAP = 1e-4


class PlanEngine(StrEnum):
    HIGHS = "highs"
    """Time-indexed 0/1 model solved by HiGHS (``highspy``), greedy as the fallback."""
    GREEDY = "greedy"
    """Most-constrained-agent-first greedy only: milliseconds, no optimality proof."""


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """One session of ``duration`` minutes for each agent, each with one of the facilitators.

    Facilitators' ``time_zone`` decides their local day for ``max_per_facilitator_per_day``.
    ``time_limit_seconds`` is measured from the start of the call and bounds the HiGHS phases;
    building the options and the greedy plan always happens (tens of milliseconds), and so does
    building the model once started (0.01 s for 200 agents x 5 facilitators x 1 week, 0.3 s for
    1,000 x 20 x 2 weeks).
    ``relative_gap``: a plan proven within this fraction of the lower bound is ``optimal``.
    """

    agents: Sequence[PersonSchedule]
    facilitators: Sequence[PersonSchedule]
    window: Span
    now: int
    duration: int = 30
    staffing: Staffing | None = None
    transition_minutes: int = 0
    max_per_facilitator_per_day: int | None = None
    time_limit_seconds: float = DEFAULT_TIME_LIMIT_SECONDS
    relative_gap: float = DEFAULT_RELATIVE_GAP
    engine: PlanEngine = PlanEngine.HIGHS
    priorities: Sequence[float] | None = None
    """Per agent (as ``agents``), a weight of at least 1 on the unplaced penalty: when not
    everyone fits, agents of higher weight are placed first (e.g. overdue before due, W8)."""


@dataclass(frozen=True, slots=True)
class Assignment:
    agent_id: str
    facilitator_id: str
    start: int
    end: int
    cost: float
    """This session's share of the service-level impact (see ``impact.py``); the shares of all
    sessions add up to the plan's impact."""


@dataclass(frozen=True, slots=True)
class IntervalServiceLevel:
    """Predicted service level of one business unit's interval before and after a plan (W6+)."""

    business_unit: str
    interval_start: int
    contacts: float
    heads_off: float
    """Agents the plan's sessions take off queue in the interval (fractions for part of it)."""
    before_percent: float
    after_percent: float
    below_floor: bool
    """The plan pushes the interval below its unit's floor."""


class UnplacedReason(StrEnum):
    NO_FREE_TIME = "no_free_time"
    """The agent has no start in the window that their own schedule allows."""
    NO_FACILITATOR = "no_facilitator"
    """No facilitator is free at any of the agent's free starts."""
    CAPACITY = "capacity"
    """Possible starts exist, but facilitator time or daily caps went to other agents."""


@dataclass(frozen=True, slots=True)
class Unplaced:
    agent_id: str
    reason: UnplacedReason
    message: str


class PlanStatus(StrEnum):
    OPTIMAL = "optimal"
    """Proven within ``relative_gap`` of the optimum (by the LP bound or HiGHS's MIP bound)."""
    FEASIBLE = "feasible"
    """A valid plan without that proof (MIP time limit, or the greedy engine was asked for)."""
    FALLBACK = "fallback"
    """The MIP found nothing usable in time (or failed); this is the greedy plan."""


@dataclass(frozen=True, slots=True)
class PlanResult:
    assignments: list[Assignment]
    unplaced: list[Unplaced]
    status: PlanStatus
    engine: PlanEngine
    """Which path produced :attr:`assignments`."""
    objective: float
    """Impact plus ``UNPLACED_PENALTY`` (times the agent's priority) per unplaced agent: what the
    engines minimise."""
    impact: float
    """Total service-level impact of the placed sessions."""
    lower_bound: float
    """Best proven lower bound on :attr:`objective` (from HiGHS, else a simple relaxation)."""
    greedy_objective: float
    """The greedy baseline's objective on the same request, for comparison."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds spent per phase: ``options``, ``greedy``, ``build``, ``solve``, ``total``."""
    service_levels: list[IntervalServiceLevel] = field(default_factory=list)
    """With volume data: predicted SL after the plan in each interval it takes agents from.
    Then :attr:`impact` counts contacts predicted to miss the SL threshold (plus floor charges)
    in those units, instead of headcount prices."""

    @property
    def gap(self) -> float:
        """Relative distance between objective and lower bound (0 = proven optimal)."""
        return (self.objective - self.lower_bound) / max(abs(self.objective), 1e-9)
