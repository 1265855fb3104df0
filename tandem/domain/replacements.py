"""Appointments that heal themselves (W7+, issue 12 item 4): the policy and its rules, no I/O.

When a WFM change makes a coaching appointment ``invalid_schedule``, Tandem looks for the best
replacement slots for the same people and duration within the next ``replacement_days`` days
(ranked as the slot query ranks: service level where volume data exists, else headcount, then
earliest). The facilitator's notice lists the top :data:`SHOWN`; with ``auto_rebook`` Tandem
moves the appointment to the best one itself, through the normal reschedule.

The policy is a setting per division. An appointment belongs to the divisions of its agents
(participants); when they span several, Tandem is conservative: it rebooks by itself only if
*every* one of those divisions says so, and searches the *shortest* of their horizons. A division
without a stored setting has the defaults (no auto-rebook, :data:`DEFAULT_DAYS` days).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_DAYS = 14
"""Two weeks: far enough to find a slot in most schedules, near enough to still be the same
coaching. At most :data:`MAX_DAYS`, the slot finder's horizon (W3: six weeks)."""
MAX_DAYS = 42
SHOWN = 3
"""Replacement slots listed in the facilitator's notice."""


class DivisionSettings(BaseModel):
    """What a division wants done with coaching that a WFM change broke."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    auto_rebook: bool = False
    """Reschedule to the best replacement slot without asking (the facilitator is told)."""
    replacement_days: int = Field(default=DEFAULT_DAYS, ge=1, le=MAX_DAYS)
    """How far ahead, from now, replacement slots are looked for."""


DEFAULTS = DivisionSettings()


def policy_for(settings: Iterable[DivisionSettings]) -> DivisionSettings:
    """The policy of an appointment whose agents are in these divisions (see the module doc)."""
    found = list(settings) or [DEFAULTS]
    return DivisionSettings(
        auto_rebook=all(s.auto_rebook for s in found),
        replacement_days=min(s.replacement_days for s in found),
    )


def rebook_key(meeting_id: str, version: int, starts_at: datetime) -> str:
    """Idempotency key of one attempt to rebook one invalidation of a meeting (the meeting's
    version once it became invalid) to ``starts_at``: a retried import or a crash between the
    steps finds the same key, so the appointment is never moved twice for the same break."""
    return f"auto-rebook/{meeting_id}/v{version}/{starts_at.isoformat()}"


def rebook_reason(problems: Iterable[str]) -> str:
    """The reschedule's reason, shown in the history and in the notices."""
    why = "; ".join(problems) or "the WFM schedule changed"
    return f"Rebooked automatically by Tandem to the best free slot: {why}"[:2_000]
