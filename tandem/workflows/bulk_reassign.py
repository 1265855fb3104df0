"""Bulk reassignment (SPEC M10): every future meeting and active series of one person to another.

The job lists its targets once (the list is in its history, so a restarted worker works through
the same list), then moves them one at a time, each through its own reassign update, so the
guard, the notifications and the history line apply exactly as for a single reassignment. Each
move is keyed by job and target: a move retried after a crash is answered with its first outcome
and sends nothing twice. Progress is recorded after every target for ``GET /v1/reassignments``.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from tandem.activities.messages import (
        LIST_REASSIGNMENT,
        MOVE_TARGET,
        RECORD_REASSIGNMENT,
        MoveTarget,
    )
    from tandem.domain.reassignments import (
        BulkReassign,
        JobProgress,
        JobState,
        Target,
        TargetOutcome,
    )

RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))


def workflow_id(job_id: str) -> str:
    return f"reassignment-{job_id}"


@workflow.defn(name="BulkReassignment")
class BulkReassignmentWorkflow:
    @workflow.init
    def __init__(self, job: BulkReassign) -> None:
        self.progress = JobProgress(job_id=job.job_id, state=JobState.RUNNING)

    @workflow.query
    def state(self) -> JobProgress:
        return self.progress

    async def _record(self) -> None:
        await workflow.execute_local_activity(
            RECORD_REASSIGNMENT,
            self.progress,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary=f"{self.progress.done}/{self.progress.total}",
        )

    @workflow.run
    async def run(self, job: BulkReassign) -> JobProgress:
        targets = await workflow.execute_activity(
            LIST_REASSIGNMENT,
            job,
            result_type=list[Target],
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
            summary="list what moves",
        )
        self.progress.total = len(targets)
        await self._record()
        for target in targets:
            outcome = await workflow.execute_activity(
                MOVE_TARGET,
                MoveTarget(job=job, target=target),
                result_type=TargetOutcome,
                # A series moves its occurrences one by one: give it room.
                start_to_close_timeout=timedelta(minutes=5),
                heartbeat_timeout=timedelta(seconds=10),
                retry_policy=RETRY,
                summary=f"{target.kind.value} {target.id}",
            )
            self.progress.outcomes.append(outcome)
            await self._record()
        self.progress.state = JobState.DONE
        await self._record()
        return self.progress
