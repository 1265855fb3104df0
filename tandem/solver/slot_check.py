"""Re-check one proposed start against every hard rule (W3), naming the rule and the person.

Used when booking (W5) and when a new WFM schedule is imported (W7). Written as direct interval
tests rather than through the grid masks, so the property tests compare two independent
implementations of the same rules: for any query :func:`find_slots` accepts, ``check_slot``
returns no violation exactly for the starts ``find_slots`` considers feasible.
"""

from dataclasses import dataclass
from enum import StrEnum

from tandem.solver.intervals import as_arrays, merge
from tandem.solver.minutes import GRID_MINUTES, HORIZON_MINUTES, from_minutes
from tandem.solver.schedule import PersonSchedule, Span
from tandem.solver.slot_query import SlotQuery, validate


class Rule(StrEnum):
    """W3 hard rules, as machine-readable codes."""

    OFF_GRID = "off_grid"
    """Starts must be a multiple of 15 minutes since the epoch."""
    BEFORE_NOW = "before_now"
    BEYOND_HORIZON = "beyond_horizon"
    """Ends after now + 6 weeks."""
    OUTSIDE_WINDOW = "outside_window"
    APPOINTMENT_CONFLICT = "appointment_conflict"
    OFF_SHIFT = "off_shift"
    """A WFM person's slot must lie inside one shift."""
    BLOCKED_ACTIVITY = "blocked_activity"
    """Overlaps a break, meal, time off, meeting, training or non-interruptible activity."""
    OUTSIDE_WORKING_HOURS = "outside_working_hours"


@dataclass(frozen=True, slots=True)
class Violation:
    rule: Rule
    person_id: str | None
    """None for rules about the time itself (grid, now, horizon, window)."""
    message: str
    conflict: Span | None = None
    """The appointment or activity in the way, when there is one."""


def check_slot(query: SlotQuery, start: int) -> list[Violation]:
    """Every hard rule that a session at ``start`` (for ``query.duration``) breaks; [] if none."""
    validate(query)
    end = start + query.duration
    found = _time_rules(query, start, end)
    for person in query.people:
        found.extend(_person_rules(person, start, end))
    return found


def _time_rules(query: SlotQuery, start: int, end: int) -> list[Violation]:
    found = []
    if start % GRID_MINUTES:
        found.append(Violation(Rule.OFF_GRID, None, f"{_at(start)} is not on the 15-minute grid"))
    if start < query.now:
        found.append(Violation(Rule.BEFORE_NOW, None, f"{_at(start)} is in the past"))
    if end > query.now + HORIZON_MINUTES:
        found.append(
            Violation(Rule.BEYOND_HORIZON, None, f"ends {_at(end)}, more than 6 weeks ahead")
        )
    if start < query.window.start or end > query.window.end:
        found.append(Violation(Rule.OUTSIDE_WINDOW, None, "not inside the requested window"))
    return found


def _person_rules(person: PersonSchedule, start: int, end: int) -> list[Violation]:
    who = person.person_id
    found = [
        Violation(
            Rule.APPOINTMENT_CONFLICT,
            who,
            f"{who} has an appointment {_at(appt.start)}-{_at(appt.end)}",
            appt,
        )
        for appt in person.appointments
        if appt.overlaps(start, end)
    ]
    if person.shifts is not None:
        if not any(s.start <= start and end <= s.end for s in person.shifts):
            found.append(Violation(Rule.OFF_SHIFT, who, f"{who} is not on one shift throughout"))
        found.extend(
            Violation(
                Rule.BLOCKED_ACTIVITY,
                who,
                f"{who} has {act.category} {_at(act.start)}-{_at(act.end)}"
                + ("" if act.interruptible else " (not interruptible)"),
                Span(act.start, act.end),
            )
            for act in person.activities
            if act.blocks and Span(act.start, act.end).overlaps(start, end)
        )
    if person.working_hours is not None:
        hour_starts, hour_ends = merge(*as_arrays(person.working_hours))
        inside = ((hour_starts <= start) & (end <= hour_ends)).any()
        if not inside:
            found.append(
                Violation(Rule.OUTSIDE_WORKING_HOURS, who, f"{who} is outside working hours")
            )
    return found


def _at(minutes: int) -> str:
    return from_minutes(minutes).strftime("%Y-%m-%d %H:%M UTC")
