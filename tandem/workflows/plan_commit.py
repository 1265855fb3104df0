"""Committing a team coaching plan as a whole (SPEC W6), durably and with progress.

Each planned session becomes a coaching appointment through the same create update and booking
guard as any other. With ``book_rest``, sessions that now clash are reported and the rest are
booked; with ``abort``, clashes are looked for first, and if a booking still loses a race the
sessions already booked are taken back, so the plan is all or nothing.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from tandem.activities.messages import (
        BOOK_SESSION,
        CHECK_PLAN,
        RECORD_PLAN,
        UNBOOK_SESSION,
        BookSession,
        UnbookSession,
    )
    from tandem.domain.plans import (
        CommitMode,
        PlanCommit,
        PlannedSession,
        PlanProgress,
        PlanState,
        SessionOutcome,
    )
    from tandem.workflows import search_attributes

RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
# Sessions booked at once: enough to keep the worker busy, few enough to stay gentle on it.
IN_FLIGHT = 8
ABORTED = "the team plan was aborted: some of its sessions clashed"


def workflow_id(plan_id: str) -> str:
    return f"plan-{plan_id}"


@workflow.defn(name="PlanCommit")
class PlanCommitWorkflow:
    @workflow.init
    def __init__(self, commit: PlanCommit) -> None:
        self.progress = PlanProgress(
            plan_id=commit.plan_id, state=PlanState.COMMITTING, total=len(commit.sessions)
        )

    @workflow.query
    def state(self) -> PlanProgress:
        return self.progress

    async def _record(self) -> None:
        await workflow.execute_activity(
            RECORD_PLAN,
            self.progress,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
            summary=self.progress.state.value,
        )

    async def _book(self, commit: PlanCommit, planned: PlannedSession) -> SessionOutcome:
        return await workflow.execute_activity(
            BOOK_SESSION,
            BookSession(commit=commit, session=planned),
            result_type=SessionOutcome,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
            summary=f"agent {planned.agent_id}",
        )

    @workflow.run
    async def run(self, commit: PlanCommit) -> PlanProgress:
        await self._record()
        if commit.mode is CommitMode.ABORT:
            clashes = await workflow.execute_activity(
                CHECK_PLAN,
                commit,
                result_type=list[SessionOutcome],
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=RETRY,
            )
            if clashes:
                return await self._finish(PlanState.ABORTED, clashes=clashes)
        for first in range(0, len(commit.sessions), IN_FLIGHT):
            batch = commit.sessions[first : first + IN_FLIGHT]
            for outcome in await asyncio.gather(*(self._book(commit, s) for s in batch)):
                if outcome.booked:
                    self.progress.booked.append(outcome.meeting_id)
                else:
                    self.progress.clashes.append(outcome)
            if self.progress.clashes and commit.mode is CommitMode.ABORT:
                await self._take_back(commit)
                return await self._finish(PlanState.ABORTED, clashes=self.progress.clashes)
        done = PlanState.PARTIALLY_COMMITTED if self.progress.clashes else PlanState.COMMITTED
        return await self._finish(done, clashes=self.progress.clashes)

    async def _take_back(self, commit: PlanCommit) -> None:
        for meeting_id in self.progress.booked:
            await workflow.execute_activity(
                UNBOOK_SESSION,
                UnbookSession(meeting_id=meeting_id, actor_id=commit.actor_id, reason=ABORTED),
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=RETRY,
            )
        self.progress.booked = []

    async def _finish(self, state: PlanState, clashes: list[SessionOutcome]) -> PlanProgress:
        self.progress = self.progress.model_copy(update={"state": state, "clashes": clashes})
        await self._record()
        if workflow.patched(search_attributes.PATCH):  # commits started before ran on without
            workflow.upsert_search_attributes(
                [search_attributes.PLAN_STATUS.value_set(state.value)]
            )
        return self.progress
