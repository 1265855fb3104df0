"""Coaching cadence (issue 12 item 3): every agent of a division coached every N weeks.

SPEC.md has no rule for it yet; these notes and the tests cite it as **W8**:

    W8. A division may have a cadence policy: every agent is coached every ``every_weeks``
    weeks, in sessions of ``duration_minutes``. An agent's *last session* is their latest held
    coaching session: one that started (in progress or completed), at the time it started;
    scheduled, cancelled, missed, deleted and invalid_schedule appointments were not held. The
    agent is *due by* last session + ``every_weeks``; an agent never coached is due now (no
    ``due_by``). Status: ``ok`` when a session is booked (scheduled, still ahead) before the due
    date, or the due date is more than ``due_soon_days`` away; ``overdue`` once the due date has
    passed; ``due`` otherwise. Lists put the overdue first. A team plan for ``agents: "due"``
    books everyone due or overdue by the end of its window who has nothing booked, overdue first.

Pure: the use case reads the sessions and the clock and hands them to :func:`standing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from tandem.domain.times import UtcDatetime

DivisionName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
"""As a user's divisions are given."""

DEFAULT_DUE_SOON_DAYS = 7
"""An agent is ``due`` from a week before the due date unless the policy says otherwise."""

OVERDUE_PRIORITY = 2.0
"""Weight of an overdue agent in a team plan (due agents weigh 1): when not everyone fits, the
planner leaves due agents out before overdue ones."""


class CadenceStatus(StrEnum):
    OK = "ok"
    DUE = "due"
    OVERDUE = "overdue"


class CadencePolicy(BaseModel):
    division: str
    every_weeks: int
    duration_minutes: int
    due_soon_days: int = DEFAULT_DUE_SOON_DAYS
    updated_by: str | None = None
    updated_at: UtcDatetime


@dataclass(frozen=True)
class Standing:
    """One agent's place in the cadence at one moment."""

    last_session_at: datetime | None
    next_session_at: datetime | None
    due_by: datetime | None
    """None: never coached, due now."""
    status: CadenceStatus

    @property
    def priority(self) -> float:
        return OVERDUE_PRIORITY if self.status is CadenceStatus.OVERDUE else 1.0


def standing(
    policy: CadencePolicy,
    last_session_at: datetime | None,
    next_session_at: datetime | None,
    now: datetime,
) -> Standing:
    """W8: the agent's due date and status from their last held session, their next booked one
    (if any, still ahead) and the policy, at ``now``."""
    if last_session_at is None:
        due_by = None
        # Never coached: due now, unless their first session is booked already.
        status = CadenceStatus.OK if next_session_at is not None else CadenceStatus.DUE
    else:
        due_by = last_session_at + timedelta(weeks=policy.every_weeks)
        if next_session_at is not None and next_session_at <= due_by:
            status = CadenceStatus.OK
        elif due_by < now:
            status = CadenceStatus.OVERDUE
        elif due_by <= now + timedelta(days=policy.due_soon_days):
            status = CadenceStatus.DUE
        else:
            status = CadenceStatus.OK
    return Standing(last_session_at, next_session_at, due_by, status)


def to_plan(entry: Standing, window_end: datetime) -> bool:
    """W8: does a team plan for ``agents: "due"`` ending at ``window_end`` book this agent?
    Yes when nothing is booked for them yet and they are due or overdue now, or fall due
    before the window ends. (An agent booked only after their due date stays ``due`` or
    ``overdue`` in the list, showing the booking, but is not booked twice.)"""
    if entry.next_session_at is not None:
        return False
    if entry.status is not CadenceStatus.OK:
        return True
    return entry.due_by is not None and entry.due_by < window_end


_RANK = {CadenceStatus.OVERDUE: 0, CadenceStatus.DUE: 1, CadenceStatus.OK: 2}


def urgency(entry: Standing, now: datetime) -> tuple[int, datetime]:
    """Sort key: overdue first (the longest overdue first), then due (never coached, due now,
    before those due later), then ok, each by due date."""
    return _RANK[entry.status], entry.due_by or now
