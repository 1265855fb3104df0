"""A bulk job's progress (SPEC M10) as the workflow records it, step by step: a step written
again after a crash (its local activity re-run) takes its own place instead of adding its
outcomes twice, so done / total never overshoots."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tandem.domain.reassignments import (
    BulkReassign,
    JobState,
    ProgressStep,
    ReassignScope,
    Target,
    TargetKind,
    TargetOutcome,
)
from tandem.store import reassignments
from tandem.store.db import Database


def _outcome(n: int) -> TargetOutcome:
    target = Target(kind=TargetKind.MEETING, id=f"m{n}", name=f"Meeting {n}")
    return TargetOutcome(target=target, moved=True)


async def test_m10_a_step_recorded_twice_counts_once(db: Database) -> None:
    job = BulkReassign(
        job_id=str(uuid.uuid4()),
        actor_id="ops",
        from_user_id="sam",
        to_user_id="alex",
        reason="Sam leaves",
        scope=ReassignScope.BOTH,
    )
    now = datetime.now(UTC)
    await db.write(lambda session: reassignments.add_job(session, job, now))

    def step(done_before: int, outcomes: list[TargetOutcome], state=JobState.RUNNING):
        recorded = ProgressStep(
            job_id=job.job_id, state=state, total=4, done_before=done_before, outcomes=outcomes
        )
        return db.write(lambda session: reassignments.record_step(session, recorded, now))

    await step(0, [_outcome(1), _outcome(2)])
    await step(0, [_outcome(1), _outcome(2)])  # the same step again
    await step(2, [_outcome(3), _outcome(4)])
    await step(4, [], JobState.DONE)
    found = await db.read(lambda session: reassignments.get_job(session, job.job_id))
    assert found is not None and found.progress.state is JobState.DONE
    assert [o.target.id for o in found.progress.outcomes] == ["m1", "m2", "m3", "m4"]
    assert found.progress.done == found.progress.total == 4
