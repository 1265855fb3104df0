"""Bulk reassignment (SPEC M10): list what moves, move a batch of targets (or one, for jobs
started before batches), record progress.

A move is the same use case as ``POST /v1/meetings/{id}/reassign`` (or the series' reassign),
acting as the person who started the job and keyed by job and target: the permission, the
guard, the notices and the history line are those of a single reassignment, and a move retried
after a crash is answered with its first outcome instead of being applied again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from temporalio import activity

from tandem.activities.messages import (
    LIST_REASSIGNMENT,
    MOVE_TARGET,
    MOVE_TARGETS,
    RECORD_REASSIGNMENT,
    RECORD_REASSIGNMENT_STEP,
    MoveTarget,
    MoveTargets,
)
from tandem.domain.errors import DomainError
from tandem.domain.reassignments import (
    BulkReassign,
    JobProgress,
    ProgressStep,
    Target,
    TargetKind,
    TargetOutcome,
)
from tandem.store import meetings, reassignments, series, users
from tandem.usecases.context import Services
from tandem.usecases.reassign import reassign_meeting
from tandem.usecases.schemas import ReassignBody
from tandem.usecases.series import reassign_series

# A move heartbeats this often, so a worker that dies mid-move is noticed within
# ``HEARTBEAT_TIMEOUT`` rather than the move's whole start-to-close timeout.
HEARTBEAT_EVERY = timedelta(seconds=2)


@contextlib.asynccontextmanager
async def heartbeating() -> AsyncIterator[None]:
    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(HEARTBEAT_EVERY.total_seconds())

    beating = asyncio.create_task(beat())
    try:
        yield
    finally:
        beating.cancel()


class ReassignmentActivities:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    @activity.defn(name=LIST_REASSIGNMENT)
    async def list_targets(self, job: BulkReassign) -> list[Target]:
        return await self.svc.db.read(
            lambda session: reassignments.targets(session, job, datetime.now(UTC))
        )

    async def _facilitator(self, target: Target) -> str | None:
        def read(session) -> str | None:
            if target.kind is TargetKind.MEETING:
                record = meetings.get_meeting(session, target.id)
                return record.meeting.facilitator_id if record else None
            found = series.get_series(session, target.id)
            return found.series.facilitator_id if found else None

        return await self.svc.db.read(read)

    @activity.defn(name=MOVE_TARGET)
    async def move_target(self, request: MoveTarget) -> TargetOutcome:
        """One target per activity: what jobs started before batches were used run."""
        async with heartbeating():
            return await self._move(request.job, request.target)

    @activity.defn(name=MOVE_TARGETS)
    async def move_targets(self, request: MoveTargets) -> list[TargetOutcome]:
        """A batch, in order. Retried after a crash, the moves already made answer with their
        first outcome (each is keyed), so nothing moves or is announced twice."""
        async with heartbeating():
            return [await self._move(request.job, target) for target in request.targets]

    async def _move(self, job: BulkReassign, target: Target) -> TargetOutcome:
        actor = await self.svc.db.read(lambda session: users.get_user(session, job.actor_id))
        if actor is None:
            return TargetOutcome(target=target, moved=False, reason="the job's author is gone")
        key = f"bulk-{job.job_id}-{target.kind.value}-{target.id}"
        body = ReassignBody(facilitator_id=job.to_user_id, reason=job.reason)
        move = reassign_meeting if target.kind is TargetKind.MEETING else reassign_series
        current = await self._facilitator(target)
        if current not in (job.from_user_id, job.to_user_id):
            # Handed to someone else since the job listed it: theirs now, not the job's.
            return TargetOutcome(target=target, moved=False, reason="reassigned meanwhile")
        try:
            reply = await move(self.svc, actor, target.id, body, idempotency_key=key)
        except DomainError as refusal:
            return TargetOutcome(target=target, moved=False, reason=refusal.message)
        if reply.status >= 400:  # the first attempt's refusal, replayed
            return TargetOutcome(target=target, moved=False, reason=reply.body["error"]["message"])
        kept = reply.body.get("not_moved") or []
        reason = f"{len(kept)} occurrence(s) kept their facilitator: " + "; ".join(
            o["reason"] for o in kept
        )
        return TargetOutcome(target=target, moved=True, reason=reason if kept else None)

    @activity.defn(name=RECORD_REASSIGNMENT)
    async def record(self, progress: JobProgress) -> None:
        await self.svc.db.write(
            lambda session: reassignments.record_progress(session, progress, datetime.now(UTC))
        )

    @activity.defn(name=RECORD_REASSIGNMENT_STEP)
    async def record_step(self, step: ProgressStep) -> None:
        await self.svc.db.write(
            lambda session: reassignments.record_step(session, step, datetime.now(UTC))
        )
