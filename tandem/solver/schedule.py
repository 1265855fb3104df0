"""What the caller tells the solver about people: appointments, WFM shifts and activities."""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tandem.solver.availability import WfmArrays


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open interval ``[start, end)`` in minutes since the epoch (UTC)."""

    start: int
    end: int

    def overlaps(self, start: int, end: int) -> bool:
        """Shares at least one minute with ``[start, end)``; an empty span overlaps nothing."""
        return self.start < self.end and self.start < end and start < self.end


class ActivityCategory(StrEnum):
    ON_QUEUE = "on_queue"
    OFF_QUEUE = "off_queue"
    BREAK = "break"
    MEAL = "meal"
    MEETING = "meeting"
    TRAINING = "training"
    TIME_OFF = "time_off"
    UNAVAILABLE = "unavailable"


NEVER_INTERRUPTIBLE = frozenset(
    {
        ActivityCategory.BREAK,
        ActivityCategory.MEAL,
        ActivityCategory.MEETING,
        ActivityCategory.TRAINING,
        ActivityCategory.TIME_OFF,
        # "Unavailable" says so in its name; an interruptible flag on it is more likely a
        # mis-configured activity code than permission to book coaching over it.
        ActivityCategory.UNAVAILABLE,
    }
)
"""Categories coaching never goes over, whatever the activity's ``interruptible`` flag says (W3)."""


@dataclass(frozen=True, slots=True)
class Activity:
    """One WFM activity. ``interruptible`` defaults to False: blocking is the safe guess."""

    start: int
    end: int
    category: ActivityCategory
    paid: bool = True
    interruptible: bool = False

    @property
    def blocks(self) -> bool:
        return not self.interruptible or self.category in NEVER_INTERRUPTIBLE


@dataclass(frozen=True, slots=True)
class PersonSchedule:
    """Everything that decides when one person (attendee or facilitator) can be coached.

    ``shifts is None`` means the person has no WFM data: shifts and activities are ignored and only
    appointments (and working hours) count. An empty ``shifts`` means a WFM person with no shift,
    who is never available. ``appointments`` must already leave out the appointment being edited.
    ``time_zone`` (IANA) decides the person's local day, used by the team planner's daily cap.
    ``wfm`` may carry ``shifts`` and ``activities`` already converted by
    :func:`~tandem.solver.availability.wfm_arrays` (a cache's copy of the very same data), so
    that the slot finder does not convert them again on every query.
    """

    person_id: str
    appointments: Sequence[Span] = ()
    shifts: Sequence[Span] | None = None
    activities: Sequence[Activity] = ()
    working_hours: Sequence[Span] | None = None
    business_unit: str | None = None
    time_zone: str = "UTC"
    wfm: "WfmArrays | None" = None

    @property
    def has_wfm(self) -> bool:
        return self.shifts is not None
