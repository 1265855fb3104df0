"""A meeting's history as its viewer may read it (SPEC O1, M12)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tandem.domain.access import View
from tandem.domain.meetings import MeetingEvent

# Guest addresses are hidden from previews and ops (M5, A4), in the history as in the view.
_PRIVATE_DETAILS = {"email", "replaces"}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    action: str
    actor_id: str | None
    # None for an actor no longer known; "Tandem" for what the system did itself.
    actor_name: str | None
    reason: str | None
    details: dict[str, Any]
    # A change of time (M7, M3): the old and new start.
    moved: tuple[datetime, datetime] | None = None
    # A change of hands (M10): the old and new facilitator's names.
    handed: tuple[str, str] | None = None
    # What went wrong, for what the workflow history adds (an activity's or a refusal's error).
    error: str | None = None
    # "audit": a line Tandem recorded with the change; "workflow": read off Temporal's history.
    source: str = "audit"


def people_named(event: MeetingEvent) -> set[str]:
    """Whose names the entry shows: the actor, and both sides of a reassignment."""
    ids = {event.actor_id} if event.actor_id else set()
    if event.action == "reassigned":
        ids |= {v for k in ("from", "to") if isinstance(v := event.details.get(k), str)}
    return ids


def timeline_entry(event: MeetingEvent, names: dict[str, str], view: View) -> TimelineEntry:
    details = event.details
    if view is not View.FULL:
        details = {k: v for k, v in details.items() if k not in _PRIVATE_DETAILS}
    actor = names.get(event.actor_id or "", "Tandem" if event.actor_id is None else None)
    before, after = event.details.get("from"), event.details.get("to")
    moved = handed = None
    if isinstance(before, dict) and isinstance(after, dict):
        moved = (
            datetime.fromisoformat(before["starts_at"]),
            datetime.fromisoformat(after["starts_at"]),
        )
    elif isinstance(before, str) and isinstance(after, str):
        handed = (names.get(before, "someone"), names.get(after, "someone"))
    return TimelineEntry(
        event.at, event.action, event.actor_id, actor, event.reason, details, moved, handed
    )
