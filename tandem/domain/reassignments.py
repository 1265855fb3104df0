"""Bulk reassignment (SPEC M10): move every future meeting and active series of one person to
another, one reassign update each, resumably and with progress."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from tandem.domain.meetings import Reason
from tandem.domain.times import UtcDatetime


class ReassignScope(StrEnum):
    MEETINGS = "meetings"  # future meetings (series occurrences included)
    SERIES = "series"  # active series, with their occurrences still ahead
    BOTH = "both"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


class TargetKind(StrEnum):
    MEETING = "meeting"
    SERIES = "series"


class Target(BaseModel):
    kind: TargetKind
    id: str
    name: str
    # A meeting's start; a series' next occurrence is not needed to move it.
    starts_at: UtcDatetime | None = None


class TargetOutcome(BaseModel):
    target: Target
    moved: bool
    # Why it could not be moved (the guard's clash, a division the new facilitator lacks).
    reason: str | None = None


class BulkReassign(BaseModel):
    job_id: str
    actor_id: str
    from_user_id: str
    to_user_id: str
    reason: Reason
    scope: ReassignScope


class JobProgress(BaseModel):
    job_id: str
    state: JobState
    # Unknown (None) until the job has listed what it will move.
    total: int | None = None
    outcomes: list[TargetOutcome] = Field(default_factory=list)

    @property
    def done(self) -> int:
        return len(self.outcomes)


class ProgressStep(BaseModel):
    """What a job adds to its recorded progress: the outcomes after the first ``done_before``
    (so recording a step twice, after a crash, writes it once), its total and state."""

    job_id: str
    state: JobState
    total: int | None
    done_before: int
    outcomes: list[TargetOutcome] = Field(default_factory=list)


_COVERS = {
    ReassignScope.MEETINGS: {TargetKind.MEETING},
    ReassignScope.SERIES: {TargetKind.SERIES},
    ReassignScope.BOTH: {TargetKind.MEETING, TargetKind.SERIES},
}


def scope_covers(scope: ReassignScope, kind: TargetKind) -> bool:
    return kind in _COVERS[scope]
