"""Bulk reassignment (SPEC M10): every future meeting and active series of one person to another.

The job lists its targets once (the list is in its history, so a restarted worker works through
the same list), then moves them in batches, each target through its own reassign update, so the
guard, the notifications and the history line apply exactly as for a single reassignment. Each
move is keyed by job and target: a move retried after a crash is answered with its first outcome
and sends nothing twice. Progress is recorded after every batch for ``GET /v1/reassignments``,
as the outcomes that batch adds: recording the whole progress each time (as jobs started before
batches still do) put O(n²) bytes in the history, past Temporal's limit for a few thousand.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from tandem.activities.messages import (
        LIST_REASSIGNMENT,
        MOVE_TARGET,
        MOVE_TARGETS,
        RECORD_REASSIGNMENT,
        RECORD_REASSIGNMENT_STEP,
        MoveTarget,
        MoveTargets,
    )
    from tandem.domain.reassignments import (
        BulkReassign,
        JobProgress,
        JobState,
        ProgressStep,
        Target,
        TargetOutcome,
    )

RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
IN_BATCHES = "bulk-reassign-in-batches"
# Targets per activity, and activities at once: each move waits on a workflow update, so a few
# batches in flight keep one worker busy and spread over two.
BATCH = 25
IN_FLIGHT = 4


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
        if workflow.patched(IN_BATCHES):
            await self._in_batches(job, targets)
            return self.progress
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

    async def _in_batches(self, job: BulkReassign, targets: list[Target]) -> None:
        await self._record_step([])
        batches = [targets[i : i + BATCH] for i in range(0, len(targets), BATCH)]
        for first in range(0, len(batches), IN_FLIGHT):
            moving = [self._move(job, batch) for batch in batches[first : first + IN_FLIGHT]]
            outcomes = [o for moved in await asyncio.gather(*moving) for o in moved]
            await self._record_step(outcomes)
        self.progress.state = JobState.DONE
        await self._record_step([])

    async def _move(self, job: BulkReassign, batch: list[Target]) -> list[TargetOutcome]:
        return await workflow.execute_activity(
            MOVE_TARGETS,
            MoveTargets(job=job, targets=batch),
            result_type=list[TargetOutcome],
            # A series moves its occurrences one by one: give a batch room.
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(seconds=10),
            retry_policy=RETRY,
            summary=f"{len(batch)} from {batch[0].kind.value} {batch[0].id}",
        )

    async def _record_step(self, outcomes: list[TargetOutcome]) -> None:
        step = ProgressStep(
            job_id=self.progress.job_id,
            state=self.progress.state,
            total=self.progress.total,
            done_before=self.progress.done,
            outcomes=outcomes,
        )
        self.progress.outcomes.extend(outcomes)
        await workflow.execute_local_activity(
            RECORD_REASSIGNMENT_STEP,
            step,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary=f"{self.progress.done}/{self.progress.total}",
        )
