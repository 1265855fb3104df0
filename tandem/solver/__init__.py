"""Pure slot finding and team planning: numpy, OR-Tools and the standard library only.

Times are integer minutes since the Unix epoch (UTC), intervals half-open ``[start, end)``;
convert with :func:`to_minutes` / :func:`from_minutes` at the edge. Nothing here reads a clock
or does I/O: "now" is always an input.
"""

from tandem.solver.availability import (
    BusyReason,
    FreeBusy,
    FreeBusySegment,
    WfmArrays,
    wfm_arrays,
)
from tandem.solver.minutes import GRID_MINUTES, HORIZON_MINUTES, from_minutes, to_minutes
from tandem.solver.plan import (
    UNPLACED_PENALTY,
    Assignment,
    PlanEngine,
    PlanRequest,
    PlanResult,
    PlanStatus,
    Unplaced,
    UnplacedReason,
    plan_team,
)
from tandem.solver.schedule import (
    NEVER_INTERRUPTIBLE,
    Activity,
    ActivityCategory,
    PersonSchedule,
    Span,
)
from tandem.solver.service_level import ServiceLevelDetail
from tandem.solver.slot_check import Rule, Violation, check_slot
from tandem.solver.slot_query import SlotQuery
from tandem.solver.slots import Slot, SlotResult, StaffingDetail, find_slots
from tandem.solver.staffing import (
    GOOD_MIN_DIFFERENCE,
    NEUTRAL_MIN_DIFFERENCE,
    Rating,
    ServiceGoal,
    Staffing,
    StaffingCurve,
)
from tandem.solver.validation import MAX_DURATION_MINUTES, InvalidQuery

__all__ = [
    "GOOD_MIN_DIFFERENCE",
    "GRID_MINUTES",
    "HORIZON_MINUTES",
    "MAX_DURATION_MINUTES",
    "NEUTRAL_MIN_DIFFERENCE",
    "NEVER_INTERRUPTIBLE",
    "UNPLACED_PENALTY",
    "Activity",
    "ActivityCategory",
    "Assignment",
    "BusyReason",
    "FreeBusy",
    "FreeBusySegment",
    "InvalidQuery",
    "PersonSchedule",
    "PlanEngine",
    "PlanRequest",
    "PlanResult",
    "PlanStatus",
    "Rating",
    "Rule",
    "ServiceGoal",
    "ServiceLevelDetail",
    "Slot",
    "SlotQuery",
    "SlotResult",
    "Span",
    "Staffing",
    "StaffingCurve",
    "StaffingDetail",
    "Unplaced",
    "UnplacedReason",
    "Violation",
    "WfmArrays",
    "check_slot",
    "find_slots",
    "from_minutes",
    "plan_team",
    "to_minutes",
    "wfm_arrays",
]
