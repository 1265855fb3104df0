"""The weekly digest workflow (SPEC N4); when it wakes is explained in tandem.domain.digest."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from tandem.activities.messages import SEND_DIGESTS, DigestWindow
    from tandem.domain.digest import floor_tick, next_tick, window_closes
    from tandem.domain.times import UtcDatetime


class DigestInput(BaseModel):
    # The last quarter-hour already handled; digests due after it are still to send.
    handled_until: UtcDatetime | None = None


def workflow_id(task_queue: str) -> str:
    return f"digests-{task_queue}"


@workflow.defn(name="Digests")
class DigestWorkflow:
    @workflow.run
    async def run(self, start: DigestInput) -> None:
        handled = start.handled_until or floor_tick(workflow.now())
        while True:
            tick = next_tick(handled)
            if (delay := tick - workflow.now()) > timedelta(0):
                await workflow.sleep(delay, summary="next Sunday 18:00 somewhere")
            await workflow.execute_activity(
                SEND_DIGESTS,
                DigestWindow(since=handled, until=tick),
                start_to_close_timeout=timedelta(minutes=10),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
                summary=f"digests due by {tick:%a %H:%M}Z",
            )
            handled = tick
            if window_closes(tick) or workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(DigestInput(handled_until=handled))
