"""Team coaching plans (SPEC W6): a previewed plan, and committing it as a whole."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, Field

from tandem.domain.meetings import Name
from tandem.domain.times import UtcDatetime

_SESSIONS = uuid.UUID("0f8c7a52-3d1e-4b9a-8e57-6a1f2c9d4b30")


def session_meeting_id(plan_id: str, agent_id: str) -> str:
    """A planned session's appointment id: committing twice books nothing twice."""
    return str(uuid.uuid5(_SESSIONS, f"{plan_id}/{agent_id}"))


class CommitMode(StrEnum):
    BOOK_REST = "book_rest"  # sessions that now clash are reported; the rest are booked
    ABORT = "abort"  # any clash: nothing stays booked


class PlanState(StrEnum):
    PREVIEWED = "previewed"
    COMMITTING = "committing"
    COMMITTED = "committed"
    PARTIALLY_COMMITTED = "partially_committed"
    ABORTED = "aborted"


class PlannedSession(BaseModel):
    agent_id: str
    facilitator_id: str
    starts_at: UtcDatetime
    duration_minutes: int
    meeting_id: str


class PlanCommit(BaseModel):
    """Start argument of the commit workflow."""

    plan_id: str
    actor_id: str
    name: Name
    mode: CommitMode
    sessions: list[PlannedSession]


class SessionOutcome(BaseModel):
    agent_id: str
    meeting_id: str
    booked: bool
    reason: str | None = None


class PlanProgress(BaseModel):
    plan_id: str
    state: PlanState
    total: int
    booked: list[str] = Field(default_factory=list)
    clashes: list[SessionOutcome] = Field(default_factory=list)
