"""Team planning (W6): one coaching session per agent across a pool of facilitators."""

from tandem.solver.plan.planner import plan_team
from tandem.solver.plan.problem import UNPLACED_PENALTY
from tandem.solver.plan.request import (
    Assignment,
    IntervalServiceLevel,
    PlanEngine,
    PlanRequest,
    PlanResult,
    PlanStatus,
    Unplaced,
    UnplacedReason,
)

__all__ = [
    "UNPLACED_PENALTY",
    "Assignment",
    "IntervalServiceLevel",
    "PlanEngine",
    "PlanRequest",
    "PlanResult",
    "PlanStatus",
    "Unplaced",
    "UnplacedReason",
    "plan_team",
]
