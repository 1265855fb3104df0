"""Bulk reassignment jobs (SPEC M10): the request, and the progress its workflow records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tandem.domain.meetings import PLANNED
from tandem.domain.reassignments import (
    BulkReassign,
    JobProgress,
    JobState,
    ProgressStep,
    ReassignScope,
    Target,
    TargetKind,
    scope_covers,
)
from tandem.domain.series import SeriesStatus
from tandem.store.schema import MeetingRow, ReassignmentJobRow, SeriesRow


@dataclass(frozen=True)
class JobRecord:
    job: BulkReassign
    progress: JobProgress
    created_at: datetime
    updated_at: datetime


def add_job(session: Session, job: BulkReassign, now: datetime) -> JobRecord:
    """Record a new job, or return the one already recorded under its id."""
    if (found := get_job(session, job.job_id)) is not None:
        return found
    progress = JobProgress(job_id=job.job_id, state=JobState.QUEUED)
    session.add(
        ReassignmentJobRow(
            id=job.job_id,
            actor_id=job.actor_id,
            from_user_id=job.from_user_id,
            to_user_id=job.to_user_id,
            reason=job.reason,
            scope=job.scope.value,
            state=progress.state.value,
            progress=progress.model_dump(mode="json"),
            created_at=now,
            updated_at=now,
        )
    )
    return JobRecord(job, progress, now, now)


def get_job(session: Session, job_id: str) -> JobRecord | None:
    row = session.get(ReassignmentJobRow, job_id)
    if row is None:
        return None
    job = BulkReassign(
        job_id=row.id,
        actor_id=row.actor_id,
        from_user_id=row.from_user_id,
        to_user_id=row.to_user_id,
        reason=row.reason,
        scope=ReassignScope(row.scope),
    )
    return JobRecord(job, JobProgress.model_validate(row.progress), row.created_at, row.updated_at)


def record_progress(session: Session, progress: JobProgress, now: datetime) -> None:
    """The workflow's progress so far (it records after every target, in order)."""
    session.execute(
        update(ReassignmentJobRow)
        .where(ReassignmentJobRow.id == progress.job_id)
        .values(
            state=progress.state.value, progress=progress.model_dump(mode="json"), updated_at=now
        )
    )


def record_step(session: Session, step: ProgressStep, now: datetime) -> None:
    """Adds a step's outcomes to the recorded progress, at their place: a step recorded again
    replaces itself instead of adding its outcomes twice."""
    row = session.get(ReassignmentJobRow, step.job_id, with_for_update=True)
    if row is None:
        return
    progress = JobProgress.model_validate(row.progress)
    progress = progress.model_copy(
        update={
            "state": step.state,
            "total": step.total,
            "outcomes": progress.outcomes[: step.done_before] + step.outcomes,
        }
    )
    row.state = step.state.value
    row.progress = progress.model_dump(mode="json")
    row.updated_at = now


def targets(session: Session, job: BulkReassign, now: datetime) -> list[Target]:
    """What the job moves: active series first (their occurrences move with them), then the
    meetings still ahead and not yet started that are not occurrences of those series."""
    found: list[Target] = []
    series_ids: set[str] = set()
    if scope_covers(job.scope, TargetKind.SERIES):
        for row in session.scalars(
            select(SeriesRow)
            .where(
                SeriesRow.facilitator_id == job.from_user_id,
                SeriesRow.status == SeriesStatus.ACTIVE.value,
            )
            .order_by(SeriesRow.created_at, SeriesRow.id)
        ):
            series_ids.add(row.id)
            found.append(Target(kind=TargetKind.SERIES, id=row.id, name=row.name))
    if scope_covers(job.scope, TargetKind.MEETING):
        for row in session.scalars(
            select(MeetingRow)
            .where(
                MeetingRow.facilitator_id == job.from_user_id,
                MeetingRow.status.in_([s.value for s in PLANNED]),
                MeetingRow.starts_at > now,
            )
            .order_by(MeetingRow.starts_at, MeetingRow.id)
        ):
            if row.series_id not in series_ids:
                found.append(
                    Target(
                        kind=TargetKind.MEETING, id=row.id, name=row.name, starts_at=row.starts_at
                    )
                )
    return found
