"""Input of the slot finder and of :func:`check_slot` (W2)."""

from collections.abc import Sequence
from dataclasses import dataclass

from tandem.solver.schedule import PersonSchedule, Span
from tandem.solver.staffing import Staffing, check_staffing
from tandem.solver.validation import InvalidQuery, check_duration, check_window

DEFAULT_DURATION_MINUTES = 30
DEFAULT_LIMIT = 10


@dataclass(frozen=True, slots=True)
class SlotQuery:
    """One common slot for all attendees and the facilitator.

    ``now`` is an input (minutes since the epoch) so the solver never reads a clock.
    ``staffing`` maps business unit to :class:`~tandem.solver.staffing.StaffingCurve`.
    """

    attendees: Sequence[PersonSchedule]
    facilitator: PersonSchedule
    window: Span
    now: int
    duration: int = DEFAULT_DURATION_MINUTES
    limit: int = DEFAULT_LIMIT
    staffing: Staffing | None = None
    respect_floor: bool = False
    """Leave out starts that push a unit's predicted SL below its floor (W4)."""

    @property
    def people(self) -> list[PersonSchedule]:
        return [*self.attendees, self.facilitator]


def validate(query: SlotQuery) -> int:
    """Raise InvalidQuery for a malformed query; return the duration in grid cells.

    Does not clip the window: :func:`check_slot` reports a window outside the horizon as rule
    violations of the proposed start instead of refusing to look at it.
    """
    cells = check_duration(query.duration)
    check_window(query.window)
    if not query.attendees:
        raise InvalidQuery("at least one attendee is required")
    ids = [p.person_id for p in query.people]
    if len(set(ids)) != len(ids):
        raise InvalidQuery("each person may appear once, as attendee or as facilitator")
    if query.limit < 1:
        raise InvalidQuery(f"limit must be at least 1, got {query.limit}")
    if query.staffing:
        check_staffing(query.staffing)
    return cells
